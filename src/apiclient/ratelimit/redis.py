"""A rate limit shared by every process and machine using the same Redis key.

Theory of operation: the same two-phase scheme as the in-process ``RateLimiter`` (book a
turn on arrival, grant on waking against the log of actual grants), run as Lua scripts on
the Redis server, so each step is atomic and every time is the server's clock (``TIME``):
machines with skewed clocks still agree. Two sorted sets hold bookings and grants
(microseconds) for the longest window. An uncontended caller books and is granted in one
script, one round trip; a blocked caller sleeps until its turn and is granted by a second
script, so nobody polls. The keys share one hash tag (one Redis Cluster slot) and expire
after the longest window. redis-py's ``Script`` reloads the scripts after a ``SCRIPT FLUSH``
or a restart.

If Redis cannot be reached, the caller gets ``RateLimiterUnavailable`` within ``timeout``,
or, when a ``fallback`` limiter is given, a grant from it (and a warning in the log).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import time
import weakref
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

from apiclient.errors import RateExceededError, RateLimiterUnavailable
from apiclient.ratelimit.memory import Limit, RateLimiter

if TYPE_CHECKING:
    import redis
    import redis.asyncio

log: logging.Logger = logging.getLogger("apiclient")

# KEYS: bookings, grants, pause end. ARGV: member, max wait (us, -1 = none), then
# (max_messages, window us) per limit. Replies: {1, 0, granted_at} granted;
# {2, wait, 0} booked, sleep then call _GRANT; {0, wait, 0} refused, nothing booked.
_PRELUDE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local paused = tonumber(redis.call('GET', KEYS[3]) or '0')
local longest = 0
for i = 3, #ARGV, 2 do longest = math.max(longest, tonumber(ARGV[i + 1])) end
local function earliest(log, start)
  for i = 3, #ARGV, 2 do
    local limit, window = tonumber(ARGV[i]), tonumber(ARGV[i + 1])
    local nth = redis.call('ZRANGE', log, -limit, -limit, 'WITHSCORES')
    if nth[2] then start = math.max(start, tonumber(nth[2]) + window) end
  end
  return start
end
local function grant()
  local ready = earliest(KEYS[2], paused)
  if ready > now then return {2, ready - now, 0} end
  redis.call('ZADD', KEYS[2], now, ARGV[1])
  redis.call('ZADD', KEYS[1], 'XX', now, ARGV[1])  -- later bookings start from the real grant
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - longest)
  redis.call('PEXPIRE', KEYS[2], math.ceil(longest / 1000) + 1000)
  return {1, 0, now}
end
"""

_BOOK = (
    _PRELUDE
    + """
local turn = math.max(now, paused)
local newest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if newest[2] then turn = math.max(turn, tonumber(newest[2])) end
turn = earliest(KEYS[1], turn)
local wait = turn - now
if tonumber(ARGV[2]) >= 0 and wait > tonumber(ARGV[2]) then return {0, wait, 0} end
redis.call('ZADD', KEYS[1], turn, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - longest)
redis.call('PEXPIRE', KEYS[1], math.ceil((wait + longest) / 1000) + 1000)
if wait > 0 then return {2, wait, 0} end
return grant()
"""
)

# A pause may have moved the grant past what the caller accepts (ARGV[2], -1 = any): it
# then gives its booking back and is refused.
_GRANT = (
    _PRELUDE
    + """
local ready = earliest(KEYS[2], paused)
local budget = tonumber(ARGV[2])
if budget >= 0 and ready - now > budget then
  redis.call('ZREM', KEYS[1], ARGV[1])
  return {0, ready - now, 0}
end
return grant()
"""
)

_PAUSE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local till = now + tonumber(ARGV[1])
if till > tonumber(redis.call('GET', KEYS[1]) or '0') then
  redis.call('SET', KEYS[1], string.format('%.0f', till), 'PX', math.ceil(ARGV[1] / 1000) + 1000)
end
return 1
"""


class _LoopScripts(NamedTuple):
    """One event loop's ``redis.asyncio`` client and the scripts registered on it."""

    book: Any
    grant: Any
    pause: Any
    client: Any


def _redis_module() -> Any:
    try:
        import redis
        import redis.asyncio
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ImportError(
            "RedisRateLimiter needs redis-py: pip install 'apiclient[redis]'"
        ) from exc
    return redis


class RedisRateLimiter:
    """The ``RateLimiter`` semantics, shared through Redis by every process using ``key``.

    Args:
        url_or_client: a ``redis://`` URL, a ``redis.Redis`` or a ``redis.asyncio.Redis``.
            From a URL both ``acquire`` and ``acquire_async`` work; a client supports its
            own flavour only.
        key: the name of the shared limit; every user of the same key shares one limit.
        max_messages, every_seconds, also, margin: the limits, as for ``RateLimiter``.
        timeout: seconds to connect to and hear from Redis (for clients made from a URL).
        fallback: a local limiter used (with a warning) while Redis is unreachable;
            without it, ``RateLimiterUnavailable`` is raised.
    """

    def __init__(
        self,
        url_or_client: str | redis.Redis | redis.asyncio.Redis,
        key: str = "apiclient",
        max_messages: int = 10,
        every_seconds: float = 1.0,
        *,
        also: Iterable[Limit] = (),
        margin: float | None = None,
        timeout: float = 2.0,
        fallback: RateLimiter | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.key = key
        self.limits: tuple[Limit, ...] = (Limit(max_messages, float(every_seconds), margin), *also)
        self.fallback = fallback
        self._sleep = sleep
        self._keys = [f"{{{key}}}:bookings", f"{{{key}}}:grants", f"{{{key}}}:pause"]
        self._limit_args = [
            str(v) for lim in self.limits for v in (lim.max_messages, int(lim.spacing * 1e6))
        ]
        self._member_prefix = f"{os.getpid()}-{os.urandom(6).hex()}-"
        self._counter = itertools.count()  # next() on a count is atomic; a generator is not
        self._timeout = timeout
        self._async_scripts: weakref.WeakKeyDictionary[Any, _LoopScripts] = (
            weakref.WeakKeyDictionary()
        )
        self._connect(url_or_client, timeout)

    def _connect(self, url_or_client: Any, timeout: float) -> None:
        """Keep the URL or the client given; register the scripts on a sync client."""
        redis_module = _redis_module()
        self._url: str | None = None
        self._sync: Any = None
        self._given_async: Any = None
        if isinstance(url_or_client, str):
            self._url = url_or_client
            self._sync = redis_module.Redis.from_url(
                url_or_client, socket_timeout=timeout, socket_connect_timeout=timeout
            )
        elif isinstance(url_or_client, redis_module.asyncio.Redis):
            self._given_async = url_or_client
        else:
            self._sync = url_or_client
        if self._sync is not None:
            self._book = self._sync.register_script(_BOOK)
            self._grant = self._sync.register_script(_GRANT)
            self._pause_script = self._sync.register_script(_PAUSE)

    # -- sync -----------------------------------------------------------------------------

    def acquire_at(self, block: bool = True, timeout: float | None = None) -> float:
        """``acquire``, returning the grant time on the Redis server's clock (epoch seconds).

        For monitoring and tests; ``nan`` when the fallback limiter granted.
        """
        if self._sync is None:
            raise TypeError("this RedisRateLimiter was given an asyncio client: use acquire_async")
        member = f"{self._member_prefix}{next(self._counter)}"
        give_up = _give_up(block, timeout)
        try:
            status, wait, granted_at = self._run(self._book, member, block, timeout)
            while status == 2:
                self._sleep(wait)
                status, wait, granted_at = self._run(self._grant, member, True, _left(give_up))
        except _redis_module().RedisError as exc:
            self._fall_back(exc)
            assert self.fallback is not None
            self.fallback.acquire(block, timeout)
            return float("nan")
        return granted_at

    def acquire(self, block: bool = True, timeout: float | None = None) -> bool:
        """Take one grant, waiting for it if ``block`` (up to ``timeout`` seconds)."""
        self.acquire_at(block, timeout)
        return True

    def pause(self, seconds: float) -> None:
        """Make every user of the key wait ``seconds`` (best effort if Redis is away)."""
        if self._sync is None:
            raise TypeError("this RedisRateLimiter was given an asyncio client: use pause_async")
        try:
            self._pause_script(keys=self._keys[2:], args=[int(seconds * 1e6)])
        except _redis_module().RedisError as exc:
            self._pause_not_shared(exc)
        if self.fallback is not None:
            self.fallback.pause(seconds)

    # -- asyncio --------------------------------------------------------------------------

    async def acquire_async(self, block: bool = True, timeout: float | None = None) -> bool:
        """``acquire`` for asyncio; each event loop gets its own connections."""
        scripts = self._scripts_for_this_loop()
        member = f"{self._member_prefix}{next(self._counter)}"
        give_up = _give_up(block, timeout)
        try:
            reply = await scripts.book(keys=self._keys, args=self._args(member, block, timeout))
            status, wait, _ = self._decode(reply, block, timeout)
            while status == 2:
                await asyncio.sleep(wait)
                left = _left(give_up)
                reply = await scripts.grant(keys=self._keys, args=self._args(member, True, left))
                status, wait, _ = self._decode(reply, True, left)
        except _redis_module().RedisError as exc:
            self._fall_back(exc)
            assert self.fallback is not None
            return await self.fallback.acquire_async(block, timeout)
        return True

    async def pause_async(self, seconds: float) -> None:
        """``pause`` for asyncio: the event loop is not held while Redis answers (or not)."""
        try:
            await self._scripts_for_this_loop().pause(
                keys=self._keys[2:], args=[int(seconds * 1e6)]
            )
        except _redis_module().RedisError as exc:
            self._pause_not_shared(exc)
        if self.fallback is not None:
            self.fallback.pause(seconds)

    @staticmethod
    def _pause_not_shared(error: Exception) -> None:
        log.warning("could not share a rate-limit pause through Redis: %s", _reason(error))

    def _scripts_for_this_loop(self) -> _LoopScripts:
        loop = asyncio.get_running_loop()
        scripts = self._async_scripts.get(loop)
        if scripts is None:
            client = self._given_async
            if client is None:
                if self._url is None:
                    raise TypeError("this RedisRateLimiter was given a sync client: use acquire")
                client = _redis_module().asyncio.Redis.from_url(
                    self._url,
                    socket_timeout=self._timeout,
                    socket_connect_timeout=self._timeout,
                )
            scripts = _LoopScripts(
                client.register_script(_BOOK),
                client.register_script(_GRANT),
                client.register_script(_PAUSE),
                client,
            )
            self._async_scripts[loop] = scripts
        return scripts

    async def aclose(self) -> None:
        """Close the connections this limiter opened for the running event loop.

        Call it before an event loop ends (a loop's connections cannot outlive it). A
        ``redis.asyncio.Redis`` you passed in is yours to close.
        """
        scripts = self._async_scripts.pop(asyncio.get_running_loop(), None)
        if scripts is not None and self._given_async is None:
            await scripts.client.aclose()

    # -- shared ---------------------------------------------------------------------------

    def _args(self, member: str, block: bool, timeout: float | None) -> list[str]:
        max_wait = 0.0 if not block else timeout
        limit = "-1" if max_wait is None else str(int(max_wait * 1e6))
        return [member, limit, *self._limit_args]

    def _run(
        self, script: Any, member: str, block: bool, timeout: float | None
    ) -> tuple[int, float, float]:
        reply = script(keys=self._keys, args=self._args(member, block, timeout))
        return self._decode(reply, block, timeout)

    @staticmethod
    def _decode(reply: list[int], block: bool, timeout: float | None) -> tuple[int, float, float]:
        status, wait_us, granted_us = (int(v) for v in reply)
        if status == 0:
            raise RateExceededError(
                "shared rate limit reached"
                if not block
                else f"shared rate limit would not grant within {timeout:g}s",
                retry_after=wait_us / 1e6,
            )
        return status, wait_us / 1e6, granted_us / 1e6

    def _fall_back(self, error: Exception) -> None:
        if self.fallback is None:
            raise RateLimiterUnavailable(f"Redis is unreachable: {_reason(error)}") from None
        log.warning("Redis is unreachable (%s); using the local fallback limiter", _reason(error))

    def close(self) -> None:
        """Close the sync client's connections (if this limiter made them)."""
        if self._url is not None and self._sync is not None:
            self._sync.close()

    def __repr__(self) -> str:
        limits = ", ".join(f"{lim.max_messages}/{lim.every_seconds:g}s" for lim in self.limits)
        return f"RedisRateLimiter(key={self.key!r}, {limits})"


def _give_up(block: bool, timeout: float | None) -> float | None:
    """When a caller accepting ``timeout`` seconds of wait stops accepting (monotonic)."""
    if not block:
        return None
    return None if timeout is None else time.monotonic() + timeout


def _left(give_up: float | None) -> float | None:
    """Seconds until ``give_up`` (never negative; None: no limit)."""
    return None if give_up is None else max(0.0, give_up - time.monotonic())


def _reason(error: Exception) -> str:
    """The error's kind and text; redis-py's texts name host and port, never a password."""
    return f"{type(error).__name__}: {error}"
