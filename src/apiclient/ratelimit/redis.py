"""A rate limit shared by every process and machine using the same Redis key.

Theory of operation: the same reservation scheme as the in-process ``RateLimiter``, run as
one Lua script on the Redis server, so it is atomic and uses the server's clock (``TIME``):
machines with skewed clocks still agree. A sorted set holds the grant times (microseconds)
of the longest window. A caller gets

    grant = max(server now, pause end, newest grant, for each limit: its N-th newest + T)

and, if that is within the time it accepts, the grant is added and the caller sleeps until
it. Every caller, blocked or not, costs one round trip; nobody polls. The keys share one
hash tag, so they live on one Redis Cluster slot, and they expire after the longest window.
redis-py's ``Script`` reloads the script after a ``SCRIPT FLUSH`` or a restart.

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
from typing import TYPE_CHECKING, Any

from apiclient.errors import RateExceededError, RateLimiterUnavailable
from apiclient.ratelimit.memory import Limit, RateLimiter

if TYPE_CHECKING:
    import redis
    import redis.asyncio

log = logging.getLogger("apiclient")

_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local grant = now
local paused = tonumber(redis.call('GET', KEYS[2]) or '0')
if paused > grant then grant = paused end
local newest = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if newest[2] and tonumber(newest[2]) > grant then grant = tonumber(newest[2]) end
local longest = 0
for i = 3, #ARGV, 2 do
  local limit, window = tonumber(ARGV[i]), tonumber(ARGV[i + 1])
  if window > longest then longest = window end
  local nth = redis.call('ZRANGE', KEYS[1], -limit, -limit, 'WITHSCORES')
  if nth[2] and tonumber(nth[2]) + window > grant then grant = tonumber(nth[2]) + window end
end
local wait = grant - now
local max_wait = tonumber(ARGV[2])
if max_wait >= 0 and wait > max_wait then return {0, wait, grant} end
redis.call('ZADD', KEYS[1], grant, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - longest)
redis.call('PEXPIRE', KEYS[1], math.ceil((wait + longest) / 1000) + 1000)
return {1, wait, grant}
"""

_PAUSE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local till = now + tonumber(ARGV[1])
if till > tonumber(redis.call('GET', KEYS[1]) or '0') then
  redis.call('SET', KEYS[1], string.format('%.0f', till), 'PX', math.ceil(ARGV[1] / 1000) + 1000)
end
return 1
"""


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
        max_messages, every_seconds, also: the limits, as for ``RateLimiter``.
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
        timeout: float = 2.0,
        fallback: RateLimiter | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        redis_module = _redis_module()
        self.key = key
        self.limits = (Limit(max_messages, float(every_seconds)), *also)
        self.fallback = fallback
        self._sleep = sleep
        self._keys = [f"{{{key}}}:grants", f"{{{key}}}:pause"]
        self._limit_args = [
            str(v) for lim in self.limits for v in (lim.max_messages, int(lim.every_seconds * 1e6))
        ]
        self._members = (f"{os.getpid()}-{os.urandom(6).hex()}-{n}" for n in itertools.count())
        self._timeout = timeout
        self._url: str | None = None
        self._sync: Any = None
        self._async_scripts: weakref.WeakKeyDictionary[Any, tuple[Any, Any]] = (
            weakref.WeakKeyDictionary()
        )
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
            self._reserve_script = self._sync.register_script(_RESERVE)
            self._pause_script = self._sync.register_script(_PAUSE)

    # -- sync -----------------------------------------------------------------------------

    def reserve_at(self, max_wait: float | None = None) -> tuple[float, float]:
        """Book a grant; return (seconds to wait, grant time on the server's clock).

        Raises ``RateExceededError`` (booking nothing) if the wait would exceed ``max_wait``.
        """
        if self._sync is None:
            raise TypeError("this RedisRateLimiter was given an asyncio client: use acquire_async")
        try:
            reply = self._reserve_script(keys=self._keys, args=self._args(max_wait))
        except _redis_module().RedisError as exc:
            return self._fall_back(exc, max_wait)
        return self._grant(reply, max_wait)

    def reserve(self, max_wait: float | None = None) -> float:
        """Book a grant and return the seconds to wait for it (see ``reserve_at``)."""
        return self.reserve_at(max_wait)[0]

    def acquire(self, block: bool = True, timeout: float | None = None) -> bool:
        """Take one grant, waiting for it if ``block`` (up to ``timeout`` seconds)."""
        wait = self.reserve(0.0 if not block else timeout)
        if wait > 0:
            self._sleep(wait)
        return True

    def pause(self, seconds: float) -> None:
        """Make every user of the key wait ``seconds`` (best effort if Redis is away)."""
        try:
            if self._sync is not None:
                self._pause_script(keys=self._keys[1:], args=[int(seconds * 1e6)])
        except _redis_module().RedisError as exc:
            log.warning("could not share a rate-limit pause through Redis: %s", _reason(exc))
        if self.fallback is not None:
            self.fallback.pause(seconds)

    # -- asyncio --------------------------------------------------------------------------

    async def reserve_at_async(self, max_wait: float | None = None) -> tuple[float, float]:
        """``reserve_at`` on ``redis.asyncio``."""
        reserve = self._scripts_for_this_loop()[0]
        try:
            reply = await reserve(keys=self._keys, args=self._args(max_wait))
        except _redis_module().RedisError as exc:
            return self._fall_back(exc, max_wait)
        return self._grant(reply, max_wait)

    async def acquire_async(self, block: bool = True, timeout: float | None = None) -> bool:
        """``acquire`` for asyncio; each event loop gets its own connections."""
        wait, _ = await self.reserve_at_async(0.0 if not block else timeout)
        if wait > 0:
            await asyncio.sleep(wait)
        return True

    def _scripts_for_this_loop(self) -> tuple[Any, Any]:
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
            scripts = (client.register_script(_RESERVE), client)
            self._async_scripts[loop] = scripts
        return scripts

    async def aclose(self) -> None:
        """Close the connections this limiter opened for the running event loop.

        Call it before an event loop ends (a loop's connections cannot outlive it). A
        ``redis.asyncio.Redis`` you passed in is yours to close.
        """
        scripts = self._async_scripts.pop(asyncio.get_running_loop(), None)
        if scripts is not None and self._given_async is None:
            await scripts[1].aclose()

    # -- shared ---------------------------------------------------------------------------

    def _args(self, max_wait: float | None) -> list[str]:
        limit = "-1" if max_wait is None else str(int(max_wait * 1e6))
        return [next(self._members), limit, *self._limit_args]

    def _grant(self, reply: list[int], max_wait: float | None) -> tuple[float, float]:
        granted, wait_us, grant_us = reply
        if not granted:
            raise RateExceededError(
                "shared rate limit reached"
                if not max_wait
                else f"shared rate limit would not grant within {max_wait:g}s",
                retry_after=wait_us / 1e6,
            )
        return max(0.0, wait_us / 1e6), grant_us / 1e6

    def _fall_back(self, error: Exception, max_wait: float | None) -> tuple[float, float]:
        if self.fallback is None:
            raise RateLimiterUnavailable(f"Redis is unreachable: {_reason(error)}") from None
        log.warning("Redis is unreachable (%s); using the local fallback limiter", _reason(error))
        return self.fallback.reserve(max_wait), float("nan")

    def close(self) -> None:
        """Close the sync client's connections (if this limiter made them)."""
        if self._url is not None and self._sync is not None:
            self._sync.close()

    def __repr__(self) -> str:
        limits = ", ".join(f"{lim.max_messages}/{lim.every_seconds:g}s" for lim in self.limits)
        return f"RedisRateLimiter(key={self.key!r}, {limits})"


def _reason(error: Exception) -> str:
    """The error's kind and text; redis-py's texts name host and port, never a password."""
    return f"{type(error).__name__}: {error}"
