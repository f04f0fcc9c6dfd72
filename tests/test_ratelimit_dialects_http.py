"""Each rate-limit dialect end to end: a real FakeServer route speaks it, the client obeys."""

from __future__ import annotations

import asyncio
import logging
from time import time as wall_clock

import pytest

from apiclient import APIClient, AsyncAPIClient, RateExceededError, RateLimiter
from apiclient.testing import FakeServer, Reply, rate_limited
from apiclient.testing.routes import RateLimitDialect


class FakeTime:
    """One clock for the fake server and the client; the client's sleeps advance it."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.25
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    async def sleep_async(self, seconds: float) -> None:
        self.sleep(seconds)


ANNOUNCING: list[RateLimitDialect] = ["github", "gitlab", "ietf"]


@pytest.mark.parametrize("dialect", ANNOUNCING)
def test_a_dialect_that_announces_the_quota_is_obeyed_before_the_wall(
    fake_server: FakeServer, dialect: RateLimitDialect
) -> None:
    time = FakeTime()
    route = rate_limited(Reply(json={"ok": True}), limit=2, window=5, clock=time, dialect=dialect)
    fake_server.add("GET /items", route)
    with APIClient(base_url=fake_server.url, clock=time, sleep=time.sleep) as api:
        assert [api.get("/items") for _ in range(3)] == [{"ok": True}] * 3
    assert route.rejected == 0  # the third call waited for the reset instead of meeting it
    assert 4.0 <= sum(time.slept) <= 6.5, time.slept
    assert len(fake_server.requests) == 3


def test_a_gitlab_reset_is_a_unix_time_not_decades(fake_server: FakeServer) -> None:
    """The bug report: ``RateLimit-Reset: <now + 5>`` read as a delay froze the client."""
    time = FakeTime()  # the server's Date is the real one: the reset is 5 s after it
    reset = int(wall_clock()) + 5
    headers = {"RateLimit-Limit": "10", "RateLimit-Remaining": "0", "RateLimit-Reset": str(reset)}
    fake_server.add("GET /a", [Reply(json=1, headers=headers), Reply(json=2)])
    shared = RateLimiter(100, 1, clock=time, sleep=time.sleep)
    api = APIClient(rate_limit_lock=shared, base_url=fake_server.url, clock=time, sleep=time.sleep)
    assert api.get("/a") == 1
    assert api.get("/a") == 2  # waited ~5 s, then went
    assert len(time.slept) >= 1 and 4.0 <= sum(time.slept) <= 6.5, time.slept
    shared.acquire(block=False)  # and the shared limiter is not paused for good


def test_the_retry_after_dialect_is_met_once_then_waited_for(fake_server: FakeServer) -> None:
    time = FakeTime()
    route = rate_limited(Reply(json="ok"), limit=2, window=5, clock=time, dialect="retry-after")
    fake_server.add("GET /items", route)
    with APIClient(base_url=fake_server.url, clock=time, sleep=time.sleep) as api:
        assert [api.get("/items") for _ in range(3)] == ["ok"] * 3
    assert route.rejected == 1  # nothing announced the quota: the third met it, then waited
    assert time.slept == [5.0]


def test_a_configurable_refusal_body(fake_server: FakeServer) -> None:
    time = FakeTime()
    body = {"error": {"code": "rate_limited", "message": "slow down"}}
    route = rate_limited(Reply(json=1), limit=0, window=60, clock=time, body=body)
    fake_server.add("GET /x", route)
    with APIClient(base_url=fake_server.url, retries=0, clock=time) as api:
        response = api.get("/x", raw=True)
    assert response.status == 429 and response.json() == body
    assert response.headers["Retry-After"] == "60"


def test_the_fake_sends_one_date_header(fake_server: FakeServer) -> None:
    time = FakeTime()
    fake_server.add("GET /x", rate_limited(Reply(json=1), limit=5, window=60, clock=time))
    with APIClient(base_url=fake_server.url) as api:
        response = api.get("/x", raw=True)
    raw = response.headers
    dates = raw.getlist("date") if hasattr(raw, "getlist") else [raw["date"]]
    assert len(dates) == 1


def test_a_pause_beyond_the_ceiling_raises_and_is_never_written_into_the_limiter(
    fake_server: FakeServer, caplog: pytest.LogCaptureFixture
) -> None:
    fake_server.add("GET /slow", Reply(429, headers={"Retry-After": "7200"}))
    shared = RateLimiter(100, 1)
    api = APIClient(rate_limit_lock=shared, base_url=fake_server.url)
    other = APIClient(rate_limit_lock=RateLimiter(100, 1), base_url=fake_server.url)
    with pytest.raises(Exception) as refused:
        api.get("/slow")
    assert getattr(refused.value, "retry_after", None) == 7200.0
    with pytest.raises(RateExceededError):
        api.get("/slow")  # this client's callers wait as the server said...
    shared.acquire(block=False)  # ...but the shared limiter was not paused for 2 hours
    assert other.throttle is not None and other.throttle.wait() == 0.0


def test_an_absurd_reset_is_ignored_with_one_warning(
    fake_server: FakeServer, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from apiclient.policies import ratelimit_headers

    monkeypatch.setattr(ratelimit_headers, "_warned", set())
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "-3"}
    fake_server.add("GET /odd", Reply(json="ok", headers=headers))
    api = APIClient(base_url=fake_server.url)
    with caplog.at_level(logging.WARNING, logger="apiclient"):
        assert [api.get("/odd") for _ in range(3)] == ["ok"] * 3
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "X-RateLimit-Reset" in warnings[0].getMessage().replace(
        "x-ratelimit-reset", "X-RateLimit-Reset"
    )


def test_a_declared_dialect_reads_only_its_headers(fake_server: FakeServer) -> None:
    class IETFOnly(APIClient):
        RATE_LIMIT_DIALECT = "ietf"

    time = FakeTime()
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "30"}
    fake_server.add("GET /x", Reply(json="ok", headers=headers))
    api = IETFOnly(base_url=fake_server.url, clock=time, sleep=time.sleep)
    assert [api.get("/x") for _ in range(2)] == ["ok", "ok"] and time.slept == []
    guessing = APIClient(base_url=fake_server.url, clock=time, sleep=time.sleep)
    assert [guessing.get("/x") for _ in range(2)] == ["ok", "ok"] and time.slept == [30.0]
    overridden = IETFOnly(
        base_url=fake_server.url, clock=time, sleep=time.sleep, rate_limit_dialect="github"
    )
    assert overridden.throttle is not None and overridden.throttle.dialect == "github"


@pytest.mark.parametrize("dialect", ANNOUNCING)
def test_the_async_client_obeys_each_dialect(
    fake_server: FakeServer, dialect: RateLimitDialect
) -> None:
    time = FakeTime()
    route = rate_limited(Reply(json={"ok": True}), limit=2, window=5, clock=time, dialect=dialect)
    fake_server.add("GET /items", route)

    async def scenario() -> list[object]:
        async with AsyncAPIClient(
            base_url=fake_server.url, clock=time, sleep=time.sleep_async
        ) as api:
            return [await api.get("/items") for _ in range(3)]

    assert asyncio.run(scenario()) == [{"ok": True}] * 3
    assert route.rejected == 0 and 4.0 <= sum(time.slept) <= 6.5
