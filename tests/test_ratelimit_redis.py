"""RedisRateLimiter against a real redis-server: exact across processes, one round trip."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import subprocess
import sys
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from apiclient import (
    AsyncAPIClient,
    Limit,
    RateExceededError,
    RateLimiter,
    RateLimiterUnavailable,
    RedisRateLimiter,
    Timeouts,
)
from apiclient.testing import FakeServer, Reply

from .concurrency import gather_from_threads, worst_window
from .conftest import Acme
from .redis_server import RedisServer

MakeClient = Callable[..., Acme]

WORKER = """
import json, sys, threading
from apiclient import RedisRateLimiter
url, key, limit, window, count = sys.argv[1:]
limiter = RedisRateLimiter(url, key=key, max_messages=int(limit), every_seconds=float(window))
times = []
def work():
    for _ in range(int(count)):
        times.append(limiter.acquire_at())
threads = [threading.Thread(target=work) for _ in range(2)]
[t.start() for t in threads]
[t.join() for t in threads]
print(json.dumps(times))
"""


@pytest.fixture
def key() -> str:
    return f"test-{uuid.uuid4().hex}"


@pytest.fixture
def client(redis_server: RedisServer) -> Iterator[redis.Redis]:
    connection = redis.Redis.from_url(redis_server.url)
    yield connection
    connection.close()


def evalsha_calls(client: redis.Redis) -> int:
    stats = client.info("commandstats")
    return int(stats.get("cmdstat_evalsha", {}).get("calls", 0))


def test_processes_sharing_a_key_never_exceed_the_limit(
    redis_server: RedisServer, key: str
) -> None:
    limit, window, per_thread = 5, 0.25, 5
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                WORKER,
                redis_server.url,
                key,
                str(limit),
                str(window),
                str(per_thread),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(8)  # 8 processes x 2 threads, as a fleet runs
    ]
    server_times: list[float] = []
    for worker in workers:
        out, _ = worker.communicate(timeout=120)
        assert worker.returncode == 0
        server_times += json.loads(out)
    assert len(server_times) == 8 * 2 * per_thread  # (one script may grant several at once)
    # Exact on the Redis server's clock, where grants are decided. (What callers record is
    # also skewed by OS scheduling of 8 processes on this machine: bench/ reports it.)
    assert worst_window(server_times, window) == limit


def test_one_round_trip_per_uncontended_grant(
    redis_server: RedisServer, client: redis.Redis, key: str
) -> None:
    limiter = RedisRateLimiter(redis_server.url, key=key, max_messages=1000, every_seconds=1)
    limiter.acquire()  # loads the script
    before = evalsha_calls(client)
    for _ in range(50):
        limiter.acquire()
    assert evalsha_calls(client) - before == 50


def test_a_blocked_grant_books_then_is_granted_without_polling(
    redis_server: RedisServer, client: redis.Redis, key: str
) -> None:
    limiter = RedisRateLimiter(redis_server.url, key=key, max_messages=3, every_seconds=0.05)
    for _ in range(4):
        limiter.acquire()  # the 4th waits, loading the grant script
    before = evalsha_calls(client)
    for _ in range(9):  # every one of these waits for the window
        limiter.acquire()
    # Book, then grant on waking: never polling, so at most two scripts per grant.
    assert 9 <= evalsha_calls(client) - before <= 18


def test_blocked_threads_cost_about_one_script_per_grant(
    redis_server: RedisServer, client: redis.Redis, key: str
) -> None:
    # The thread taking its grant books for the threads queued behind it in the same script,
    # and turns allow for how late grants are taken, so a waker rarely has to look twice.
    limiter = RedisRateLimiter(redis_server.url, key=key, max_messages=4, every_seconds=0.2)
    limiter.acquire()  # loads the script
    before = evalsha_calls(client)
    grants = gather_from_threads(lambda _: limiter.acquire_at(), 8, 3)
    assert len(grants) == 24 and worst_window(grants, 0.2) <= 4
    # About one script per grant when the machine is idle (bench/ratelimit.py --only fleet);
    # on a loaded one, late wakers look twice now and then. Booking then taking, as before,
    # costs at least 3 + 21 x 2 = 45 here.
    assert evalsha_calls(client) - before <= 40


def test_threads_share_one_limiter(redis_server: RedisServer, key: str) -> None:
    limiter = RedisRateLimiter(redis_server.url, key=key, max_messages=5, every_seconds=0.05)
    granted = gather_from_threads(lambda _: limiter.acquire_at(), threads=8, per_thread=5)
    assert len(granted) == 40 and worst_window(granted, 0.05) == 5


def test_timeout_and_non_blocking_raise_at_once_and_book_nothing(
    redis_server: RedisServer, client: redis.Redis, key: str
) -> None:
    limiter = RedisRateLimiter(redis_server.url, key=key, max_messages=1, every_seconds=60)
    limiter.acquire()
    with pytest.raises(RateExceededError) as caught:
        limiter.acquire(timeout=1)
    # About the window's length (not zero, not more): real time passes between the calls.
    assert 30 < (caught.value.retry_after or 0) <= 60.001
    with pytest.raises(RateExceededError):
        limiter.acquire(block=False)
    assert client.zcard(f"{{{key}}}:bookings") == 1 and client.zcard(f"{{{key}}}:grants") == 1


def test_several_limits_in_redis_are_all_or_nothing(redis_server: RedisServer, key: str) -> None:
    limiter = RedisRateLimiter(
        redis_server.url, key=key, max_messages=10, every_seconds=1, also=[Limit(3, 60)]
    )
    for _ in range(3):
        limiter.acquire(block=False)
    with pytest.raises(RateExceededError) as caught:
        limiter.acquire(block=False)
    assert (caught.value.retry_after or 0) > 30  # held by the 3-per-minute limit, not 1/s


def test_keys_share_a_hash_tag_and_expire(
    redis_server: RedisServer, client: redis.Redis, key: str
) -> None:
    limiter = RedisRateLimiter(redis_server.url, key=key, max_messages=5, every_seconds=2)
    limiter.acquire()
    limiter.pause(1)
    names = sorted(name.decode() for name in client.keys(f"{{{key}}}:*"))
    assert names == [f"{{{key}}}:{part}" for part in ("bookings", "grants", "meta", "pause")]
    for name in names:
        assert 0 < client.pttl(name) <= 4000


def test_a_pause_reaches_every_user_of_the_key(redis_server: RedisServer, key: str) -> None:
    one = RedisRateLimiter(redis_server.url, key=key, max_messages=100, every_seconds=1)
    other = RedisRateLimiter(redis_server.url, key=key, max_messages=100, every_seconds=1)
    one.pause(30)
    with pytest.raises(RateExceededError) as caught:
        other.acquire(timeout=5)
    assert 10 < (caught.value.retry_after or 0) <= 30


def test_a_429_seen_by_one_client_pauses_another_sharing_the_key(
    redis_server: RedisServer, key: str, server: FakeServer, make_client: MakeClient
) -> None:
    server.add("/a", Reply(429, headers={"Retry-After": "30"}))
    server.add("/b", Reply(json="b"))
    first = make_client(
        server,
        retries=0,
        rate_limit_lock=RedisRateLimiter(redis_server.url, key=key, max_messages=100),
    )
    second = make_client(
        server,
        timeout=Timeouts(total=5),
        rate_limit_lock=RedisRateLimiter(redis_server.url, key=key, max_messages=100),
    )
    first.get("/a", raw=True)
    with pytest.raises(RateExceededError) as caught:
        second.get("/b")  # it never saw the 429, but the shared limiter is paused ~30 s
    assert (caught.value.retry_after or 0) > 10
    assert [r.path for r in server.requests] == ["/a"]


def test_survives_script_flush(redis_server: RedisServer, client: redis.Redis, key: str) -> None:
    limiter = RedisRateLimiter(redis_server.url, key=key, max_messages=100, every_seconds=1)
    limiter.acquire()
    client.script_flush()
    assert limiter.acquire()


def acquiring(limiter: RedisRateLimiter, kind: str) -> Callable[[], bool]:
    """One grant from ``limiter``: ``acquire()``, or ``acquire_async()`` in its own loop."""
    if kind == "sync":
        return limiter.acquire

    async def once() -> bool:
        try:
            return await limiter.acquire_async()
        finally:
            await limiter.aclose()  # this loop's connections end with it

    return lambda: asyncio.run(once())


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_redis_going_away_gives_a_typed_error_then_recovers(
    own_redis_server: RedisServer, key: str, kind: str
) -> None:
    limiter = RedisRateLimiter(
        own_redis_server.url, key=key, max_messages=100, every_seconds=1, timeout=1
    )
    acquire = acquiring(limiter, kind)
    assert acquire()
    own_redis_server.stop()
    with pytest.raises(RateLimiterUnavailable) as caught:
        acquire()
    assert "unreachable" in str(caught.value)
    own_redis_server.start()  # a restart also empties the script cache
    assert acquire()


def test_fallback_limiter_is_used_while_redis_is_away(
    own_redis_server: RedisServer, key: str
) -> None:
    fallback = RateLimiter(2, 60)
    limiter = RedisRateLimiter(
        own_redis_server.url, key=key, max_messages=100, timeout=1, fallback=fallback
    )
    own_redis_server.stop()
    assert limiter.acquire() and limiter.acquire()
    with pytest.raises(RateExceededError):
        limiter.acquire(block=False)  # the fallback's own limit applies


def test_asyncio_flavour_on_separate_event_loops(redis_server: RedisServer, key: str) -> None:
    limiter = RedisRateLimiter(redis_server.url, key=key, max_messages=2, every_seconds=60)

    async def take() -> bool:
        try:
            return await limiter.acquire_async()
        finally:
            await limiter.aclose()

    assert asyncio.run(take()) and asyncio.run(take())  # a second loop works: nothing stale

    async def refused() -> None:
        try:
            await limiter.acquire_async(block=False)
        finally:
            await limiter.aclose()

    with pytest.raises(RateExceededError):
        asyncio.run(refused())


def test_asyncio_client_given_directly(redis_server: RedisServer, key: str) -> None:
    async def scenario() -> bool:
        client = redis.asyncio.Redis.from_url(redis_server.url)
        limiter = RedisRateLimiter(client, key=key, max_messages=1, every_seconds=60)
        try:
            return await limiter.acquire_async()
        finally:
            await client.aclose()

    assert asyncio.run(scenario())


def test_repr_has_no_url(redis_server: RedisServer) -> None:
    limiter = RedisRateLimiter("redis://:s3cret-pw@127.0.0.1:1/0", key="k", max_messages=5)
    assert "s3cret-pw" not in repr(limiter) and "5/1s" in repr(limiter)


def test_the_docs_redis_example_runs_on_redis(
    redis_server: RedisServer,
    client: redis.Redis,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    page = (Path(__file__).resolve().parent.parent / "docs" / "ratelimiting.md").read_text()
    code = page.split("```python\n", 1)[1].split("```", 1)[0]
    monkeypatch.setenv("REDIS_URL", redis_server.url)
    client.delete("{github-api}:grants")
    exec(compile(code, "docs/ratelimiting.md", "exec"), {"__name__": "docs_example"})
    # Granted by Redis (its clock), not by the local fallback (which reports nan).
    printed = capsys.readouterr().out.split()
    assert printed[:2] == ["granted", "at"] and float(printed[2]) > 1e9
    assert client.zcard("{github-api}:grants") == 2


def test_closing_an_async_client_closes_what_its_redis_limiter_opened(
    redis_server: RedisServer, key: str, server: FakeServer
) -> None:
    server.add("/x", Reply(json=1))
    limiter = RedisRateLimiter(redis_server.url, key=key, max_messages=100)

    async def scenario(limiter: RedisRateLimiter) -> object:
        async with AsyncAPIClient(base_url=server.url, rate_limit_lock=limiter) as api:
            return await api.get("/x")

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        assert asyncio.run(scenario(limiter)) == 1
        assert asyncio.run(scenario(limiter)) == 1  # another loop: the limiter reconnects
        del limiter  # with it goes any connection left open: unclosed, it would warn here
        gc.collect()
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []


def test_an_async_clients_429_pauses_the_key_even_on_a_given_asyncio_redis(
    redis_server: RedisServer, key: str, server: FakeServer
) -> None:
    server.add("/a", Reply(429, headers={"Retry-After": "30"}))
    other = RedisRateLimiter(redis_server.url, key=key, max_messages=100)

    async def scenario() -> None:
        connection = redis.asyncio.Redis.from_url(redis_server.url)
        limiter = RedisRateLimiter(connection, key=key, max_messages=100)
        try:
            async with AsyncAPIClient(
                base_url=server.url, retries=0, rate_limit_lock=limiter
            ) as api:
                assert (await api.get("/a", raw=True)).status == 429
        finally:
            await connection.aclose()

    asyncio.run(scenario())
    with pytest.raises(RateExceededError) as caught:
        other.acquire(timeout=5)  # another user of the key: paused by the 429 through Redis
    assert 10 < (caught.value.retry_after or 0) <= 30


def test_an_async_pause_with_redis_away_is_logged_and_paused_locally(
    own_redis_server: RedisServer, key: str, server: FakeServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.add("/a", Reply(429, headers={"Retry-After": "30"}))
    fallback = RateLimiter(100, 1)
    limiter = RedisRateLimiter(
        own_redis_server.url, key=key, max_messages=100, timeout=1, fallback=fallback
    )

    async def scenario() -> int:
        async with AsyncAPIClient(base_url=server.url, retries=0, rate_limit_lock=limiter) as api:
            own_redis_server.stop()  # Redis goes away: grant and pause fall back to local
            return (await api.get("/a", raw=True)).status

    with caplog.at_level(logging.WARNING, logger="apiclient"):
        assert asyncio.run(scenario()) == 429
    assert "could not share a rate-limit pause through Redis" in caplog.text
    with pytest.raises(RateExceededError):
        fallback.acquire(block=False)  # paused locally instead


def test_a_pause_from_another_process_never_outlives_a_callers_timeout(
    redis_server: RedisServer, client: redis.Redis, key: str
) -> None:
    """Fill a 1-per-1 s window; A accepts 2 s; another process pauses the key for 5 s."""
    other = RedisRateLimiter(redis_server.url, key=key, max_messages=1, every_seconds=1)

    def sleep(seconds: float) -> None:
        other.pause(5)  # heard while A sleeps towards its turn
        time.sleep(seconds)

    limiter = RedisRateLimiter(
        redis_server.url, key=key, max_messages=1, every_seconds=1, sleep=sleep
    )
    limiter.acquire()
    started = time.monotonic()
    with pytest.raises(RateExceededError) as refused:
        limiter.acquire(timeout=2)
    assert time.monotonic() - started < 5  # refused on waking, not after the pause
    assert refused.value.retry_after is not None and refused.value.retry_after > 2
    assert client.zcard(f"{{{key}}}:bookings") == 1  # its booking was given back


def test_an_async_caller_through_a_redis_pause_is_bounded_by_its_timeout(
    redis_server: RedisServer, client: redis.Redis, key: str
) -> None:
    limiter = RedisRateLimiter(redis_server.url, key=key, max_messages=1, every_seconds=0.5)

    async def scenario() -> None:
        await limiter.acquire_async()
        waiting = asyncio.create_task(limiter.acquire_async(timeout=1))
        while client.zcard(f"{{{key}}}:bookings") < 2:  # until it has booked its turn
            await asyncio.sleep(0)
        await limiter.pause_async(30)
        try:
            with pytest.raises(RateExceededError):
                await waiting
        finally:
            await limiter.aclose()

    asyncio.run(scenario())
