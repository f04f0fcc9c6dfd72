"""RedisRateLimiter under the faults a fleet meets, each against a real redis-server.

Deadlines: a frozen Redis (SIGSTOP) must not hold a caller past its own budget, nor past the
limiter's ``timeout`` for a client the user built. Restarts: a lost window is noticed and
not granted twice. Errors: unreachable and misconfigured are told apart, and only the first
reaches ``fallback``. Two configurations on one key are refused.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import redis.asyncio

from apiclient import (
    Limit,
    RateExceededError,
    RateLimitConfigMismatch,
    RateLimiter,
    RateLimiterMisconfigured,
    RateLimiterUnavailable,
    RedisRateLimiter,
)

from .redis_server import RedisServer

# A limiter timeout no test could sit out: a call bounded by it alone would hang the test
# (pytest-timeout fails it), so passing proves the caller's own deadline bounded the call.
FOREVER = 3600.0


@pytest.fixture
def key() -> str:
    return f"test-{uuid.uuid4().hex}"


@pytest.fixture
def frozen(own_redis_server: RedisServer) -> Iterator[RedisServer]:
    """A redis-server that was answering, then stopped answering (SIGSTOP) for the test."""
    yield own_redis_server
    own_redis_server.thaw()


def test_a_frozen_redis_cannot_hold_a_caller_past_its_timeout(
    frozen: RedisServer, key: str
) -> None:
    limiter = RedisRateLimiter(frozen.url, key=key, max_messages=5, timeout=FOREVER)
    assert limiter.acquire()
    frozen.freeze()
    with pytest.raises(RateLimiterUnavailable, match="unreachable"):
        limiter.acquire(timeout=0.2)


def test_timeout_bounds_a_client_the_user_built(frozen: RedisServer, key: str) -> None:
    own_client = redis.Redis(port=frozen.port)  # no socket timeout of its own
    limiter = RedisRateLimiter(own_client, key=key, max_messages=5, timeout=0.5)
    assert limiter.acquire()
    frozen.freeze()
    with pytest.raises(RateLimiterUnavailable):
        limiter.acquire()  # no caller budget: the limiter's timeout bounds the round trip
    with pytest.raises(RateLimiterUnavailable):
        limiter.acquire(block=False)
    frozen.thaw()
    assert limiter.acquire()  # the connection left mid-reply was dropped, a fresh one works
    own_client.close()


def test_an_async_caller_is_bounded_by_its_timeout_through_a_frozen_redis(
    frozen: RedisServer, key: str
) -> None:
    async def main() -> None:
        own_client = redis.asyncio.Redis(port=frozen.port)
        limiter = RedisRateLimiter(own_client, key=key, max_messages=5, timeout=FOREVER)
        assert await limiter.acquire_async()
        frozen.freeze()
        with pytest.raises(RateLimiterUnavailable):
            await limiter.acquire_async(timeout=0.2)
        frozen.thaw()
        await own_client.aclose()

    asyncio.run(main())


def test_a_lost_window_is_not_granted_twice(own_redis_server: RedisServer, key: str) -> None:
    limiter = RedisRateLimiter(own_redis_server.url, key=key, max_messages=10, every_seconds=10)
    for _ in range(10):
        limiter.acquire(block=False)
    own_redis_server.kill()  # kill -9, no persistence: the window is gone
    own_redis_server.start()
    with pytest.raises(RateExceededError) as caught:
        limiter.acquire(block=False)
    assert caught.value.retry_after is not None and caught.value.retry_after > 9
    # A process that never saw a grant is held back too: the pause is in Redis.
    newcomer = RedisRateLimiter(own_redis_server.url, key=key, max_messages=10, every_seconds=10)
    with pytest.raises(RateExceededError):
        newcomer.acquire(block=False)


def test_a_lost_window_is_logged_once_per_loss(
    own_redis_server: RedisServer, key: str, caplog: pytest.LogCaptureFixture
) -> None:
    limiter = RedisRateLimiter(own_redis_server.url, key=key, max_messages=2, every_seconds=10)
    limiter.acquire(block=False)
    own_redis_server.kill()
    own_redis_server.start()
    with caplog.at_level(logging.WARNING, logger="apiclient"):
        for _ in range(3):
            with pytest.raises(RateExceededError):
                limiter.acquire(block=False)
    lost = [r for r in caplog.records if "lost its state" in r.getMessage()]
    assert len(lost) == 1


def test_reset_accepts_a_lost_window(own_redis_server: RedisServer, key: str) -> None:
    limiter = RedisRateLimiter(
        own_redis_server.url, key=key, max_messages=2, every_seconds=10, on_lost_state="reset"
    )
    limiter.acquire(block=False)
    limiter.acquire(block=False)
    own_redis_server.kill()
    own_redis_server.start()
    assert limiter.acquire(block=False)


def test_an_expired_window_is_not_mistaken_for_a_lost_one(
    redis_server: RedisServer, key: str
) -> None:
    client = redis.Redis.from_url(redis_server.url)
    limiter = RedisRateLimiter(redis_server.url, key=key, max_messages=2, every_seconds=0.05)
    limiter.acquire(block=False)
    for name in client.keys(f"{{{key}}}:*"):  # as if the keys had expired after the window
        client.delete(name)
    limiter._known = (limiter._known[0], limiter._known[1] - 10_000_000)  # seen 10 s ago
    assert limiter.acquire(block=False)
    client.close()


def test_fallback_true_grants_this_process_its_share(
    own_redis_server: RedisServer, key: str, caplog: pytest.LogCaptureFixture
) -> None:
    limiter = RedisRateLimiter(
        own_redis_server.url, key=key, max_messages=8, every_seconds=60, timeout=1,
        fallback=True, expected_processes=4,
    )  # fmt: skip
    own_redis_server.stop()
    with caplog.at_level(logging.WARNING, logger="apiclient"):
        assert limiter.acquire(block=False) and limiter.acquire(block=False)
        with pytest.raises(RateExceededError):
            limiter.acquire(block=False)  # 8 / 4 processes = 2 each, not 8 each
    warnings = [r for r in caplog.records if "fallback" in r.getMessage()]
    assert len(warnings) == 1  # once per outage, not once per grant
    own_redis_server.start()
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="apiclient"):
        assert limiter.acquire(block=False)
    assert any("answers again" in r.getMessage() for r in caplog.records)


def test_fallback_true_needs_the_number_of_processes(redis_server: RedisServer) -> None:
    with pytest.raises(ValueError, match="expected_processes"):
        RedisRateLimiter(redis_server.url, fallback=True)
    with pytest.raises(ValueError, match="less than one grant"):
        RedisRateLimiter(redis_server.url, max_messages=3, fallback=True, expected_processes=4)


def test_a_replica_is_a_misconfiguration_and_never_falls_back(
    redis_server: RedisServer, tmp_path: Path, key: str
) -> None:
    replica = RedisServer(tmp_path, "--replicaof", "127.0.0.1", str(redis_server.port)).start()
    try:
        limiter = RedisRateLimiter(replica.url, key=key, fallback=RateLimiter(100, 1))
        with pytest.raises(RateLimiterMisconfigured, match="read-only replica"):
            limiter.acquire()
    finally:
        replica.stop()


def test_another_programs_key_is_a_misconfiguration(redis_server: RedisServer, key: str) -> None:
    client = redis.Redis.from_url(redis_server.url)
    client.set(f"{{{key}}}:grants", "not a sorted set")
    limiter = RedisRateLimiter(redis_server.url, key=key, fallback=RateLimiter(100, 1))
    with pytest.raises(RateLimiterMisconfigured, match="another program"):
        limiter.acquire()
    client.close()


def test_out_of_memory_is_a_misconfiguration(own_redis_server: RedisServer, key: str) -> None:
    client = redis.Redis.from_url(own_redis_server.url)
    client.set("ballast", "x" * 100_000)
    client.config_set("maxmemory", "1")
    limiter = RedisRateLimiter(own_redis_server.url, key=key, fallback=RateLimiter(100, 1))
    with pytest.raises(RateLimiterMisconfigured, match="out of memory"):
        limiter.acquire()
    client.close()


def test_a_refused_password_is_a_misconfiguration(own_redis_server: RedisServer) -> None:
    client = redis.Redis.from_url(own_redis_server.url)
    client.config_set("requirepass", "right")
    url = f"redis://:wrong-secret@127.0.0.1:{own_redis_server.port}/0"
    limiter = RedisRateLimiter(url, fallback=RateLimiter(100, 1))
    with pytest.raises(RateLimiterMisconfigured) as caught:
        limiter.acquire()
    assert "wrong-secret" not in str(caught.value)
    client.close()


def test_a_second_configuration_on_a_key_is_refused_by_name(
    redis_server: RedisServer, key: str
) -> None:
    hourly = RedisRateLimiter(redis_server.url, key=key, max_messages=5, every_seconds=1,
                              also=[Limit(5, 3600)])  # fmt: skip
    for _ in range(5):
        hourly.acquire(block=False)
    per_second = RedisRateLimiter(redis_server.url, key=key, max_messages=5, every_seconds=1)
    with pytest.raises(RateLimitConfigMismatch) as caught:
        per_second.acquire()
    assert caught.value.stored == "5/1s, 5/3600s" and caught.value.mine == "5/1s"
    assert "5/3600s" in str(caught.value)
    with pytest.raises(RateExceededError):
        hourly.acquire(block=False)  # the hour's five are still counted


def test_limits_in_another_order_are_the_same_configuration(
    redis_server: RedisServer, key: str
) -> None:
    one = RedisRateLimiter(redis_server.url, key=key, max_messages=5, every_seconds=1,
                           also=[Limit(50, 60)])  # fmt: skip
    other = RedisRateLimiter(redis_server.url, key=key, max_messages=50, every_seconds=60,
                             also=[Limit(5, 1)])  # fmt: skip
    assert one.acquire() and other.acquire()


def test_an_empty_key_is_refused(redis_server: RedisServer) -> None:
    with pytest.raises(ValueError, match="key"):
        RedisRateLimiter(redis_server.url, key="")
