"""One FakeClock for the whole stack: exact waits for 429s, limiters, throttles, tokens."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from apiclient import APIClient, AsyncAPIClient, OAuth2ClientCredentials, RateLimiter
from apiclient.clocks import MeasuredClock
from apiclient.testing import FakeClock, FakeServer, Reply, rate_limited
from apiclient.testing.oauth import AuthorizationServer, RegisteredClient

from .async_facade import SyncFacade
from .conftest import Acme

MakeClient = Callable[..., Acme]


def clocked(make_client: MakeClient, server: FakeServer, clock: FakeClock, **kw: Any) -> Acme:
    """A client of the fixture's kind on ``clock`` alone (its own sleep: the clock's)."""
    return make_client(server, clock=clock, sleep=None, **kw)


def test_a_retry_after_is_waited_exactly_once(server: FakeServer, make_client: MakeClient) -> None:
    clock = FakeClock()
    server.add("GET /x", [Reply(429, headers={"Retry-After": "1"}), Reply(json={"ok": 1})])
    assert clocked(make_client, server, clock).get("/x") == {"ok": 1}
    assert clock.sleeps == [1.0]


def test_a_sleep_alone_is_measured_so_a_wait_is_not_counted_twice(server: FakeServer) -> None:
    """The tutorial's pattern: only ``sleep=`` injected (it used to record [1.0, 0.9999])."""
    waits: list[float] = []
    server.add("GET /x", [Reply(429, headers={"Retry-After": "1"}), Reply(json={"ok": 1})])
    APIClient(base_url=server.url, sleep=waits.append).get("/x")
    assert waits == [1.0]


def test_an_async_sleep_alone_is_measured_too(server: FakeServer) -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    async def main() -> None:
        async with AsyncAPIClient(base_url=server.url, sleep=sleep) as api:
            await api.get("/x")

    server.add("GET /x", [Reply(429, headers={"Retry-After": "1"}), Reply(json={"ok": 1})])
    asyncio.run(main())
    assert waits == [1.0]


def test_a_limiter_on_the_clock_waits_exactly_its_window(
    server: FakeServer, make_client: MakeClient
) -> None:
    clock = FakeClock()
    server.add("GET /x", Reply(json={}))
    limiter = RateLimiter(2, 10, clock=clock, margin=0)
    api = clocked(make_client, server, clock, rate_limit_lock=limiter)
    for _ in range(5):
        api.get("/x")
    assert clock.sleeps == [10.0, 10.0]  # calls 3 and 5 wait for a window to pass


def test_a_limiter_given_a_sleep_alone_waits_once_per_window() -> None:
    waits: list[float] = []
    limiter = RateLimiter(1, 5, sleep=waits.append, margin=0)
    for _ in range(3):
        limiter.acquire()
    # Each wait moved the limiter's time by what it asked: two windows' waits (and a last
    # sliver each, for the real time that passed), not 5 s of real time spun away in
    # thousands of fake waits. Real time only shortens the waits; exact figures need a
    # FakeClock.
    assert 2 <= len(waits) <= 6
    assert 0 < sum(waits) <= 10.0 + 1e-9


def test_a_measured_clock_moves_by_what_a_fake_sleep_did_not_wait() -> None:
    still = FakeClock()  # as the real clock reads across a fake sleep: it has not moved
    clock = MeasuredClock(still)
    sleep = clock.sleeping(lambda seconds: None)
    start = clock()
    sleep(2.5)
    assert clock() == start + 2.5
    still.advance(1.0)  # real time passing counts once, as it is
    assert clock() == start + 3.5

    def real_sleep(seconds: float) -> None:
        still.advance(seconds)

    clock.sleeping(real_sleep)(4.0)  # a sleep that really waited adds nothing more
    assert clock() == start + 7.5


def test_the_servers_quota_and_the_clients_throttle_share_the_clock(
    server: FakeServer, make_client: MakeClient
) -> None:
    clock = FakeClock()
    route = rate_limited(Reply(json={}), limit=2, window=60, clock=clock)
    server.add("GET /x", route)
    api = clocked(make_client, server, clock)
    for _ in range(3):
        api.get("/x")
    # The quota ran out on the second call (Remaining: 0): the throttle waited for the
    # window's reset, 60 s after the first call, on the shared clock, and nothing was refused.
    assert clock.sleeps == [60.0]
    assert route.rejected == 0


def test_a_refused_request_waits_the_servers_retry_after(
    server: FakeServer, make_client: MakeClient
) -> None:
    clock = FakeClock()
    route = rate_limited(Reply(json={}), limit=1, window=30, clock=clock, dialect="retry-after")
    server.add("GET /x", route)
    api = clocked(make_client, server, clock)
    api.get("/x")
    clock.advance(10)
    api.get("/x")  # refused: Retry-After 20, waited, then served in the next window
    assert clock.sleeps == [20.0]
    assert route.rejected == 1


def test_an_oauth_token_expires_on_the_clock(
    tls_server: FakeServer, make_client: MakeClient, ca_file: Path
) -> None:
    clock = FakeClock()
    oauth = AuthorizationServer(tls_server, [RegisteredClient("svc", "svc-s3cret")], clock)
    oauth.expires_in = 600
    auth = OAuth2ClientCredentials(oauth.token_url, "svc", "svc-s3cret", clock=clock, leeway=30)
    api = clocked(make_client, tls_server, clock, auth=auth, ca_certs=str(ca_file))
    api.get("/api/me")
    clock.advance(569)  # 31 s before expiry: the token is still good
    api.get("/api/me")
    assert oauth.store.token_requests == ["client_credentials"]
    clock.advance(1)  # 30 s before expiry: inside the leeway, renewed before the request
    api.get("/api/me")
    assert oauth.store.token_requests == ["client_credentials"] * 2
    assert clock.sleeps == []


def test_the_fake_clock_reads_as_a_wall_clock_and_never_goes_back() -> None:
    clock = FakeClock()
    assert clock() == clock.now() == clock.wall_clock() > 1.7e9  # a real-looking date
    clock.advance(2.5)
    clock.sleep(1)
    asyncio.run(clock.async_sleep(0.5))
    assert clock.sleeps == [1, 0.5] and clock.slept == 1.5
    assert clock.now() == pytest.approx(1_767_225_600 + 4.0)
    with pytest.raises(ValueError, match="back"):
        clock.advance(-1)
    assert "FakeClock(" in repr(clock)


def test_a_fake_clock_drives_an_async_client_without_a_sleep_given(
    server: FakeServer, make_client: MakeClient
) -> None:
    clock = FakeClock()
    server.add("GET /x", [Reply(503, headers={"Retry-After": "7"}), Reply(json={"ok": 1})])
    api = clocked(make_client, server, clock)
    assert api.get("/x") == {"ok": 1}
    assert clock.sleeps == [7.0]
    if isinstance(api, SyncFacade):
        assert api.client._sleep == clock.async_sleep
