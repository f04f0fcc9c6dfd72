"""A concurrency limit shared through Redis: at most N requests in flight across a fleet.

Theory of operation. The slots are a sorted set of *leases*, ``{key}:leases``, each member
one request's and its score the time (Redis ``TIME``, microseconds) the lease expires. A
Lua script takes a slot atomically: it drops expired leases, then adds one if fewer than N
are held. Releasing removes the lease and pushes a token on ``{key}:wake``; a caller that
found no slot waits on that list (``BLPOP``) until a release or the earliest lease's
expiry, whichever is sooner, then tries again. A process killed mid-request (SIGKILL, a
lost machine) never releases: its lease expires after ``lease_seconds`` and the slot is
free again, so a crash leaks a slot for at most that long. Set ``lease_seconds`` above the
longest request the client makes (its ``Timeouts.total``).
"""

from __future__ import annotations

import asyncio
import itertools
import os
import time
import weakref
from typing import TYPE_CHECKING, Any

from apiclient._redis.scripts import shared_state_error
from apiclient._redis.topology import redis_module as _redis_module
from apiclient.errors import InFlightLimitReached, SharedStateError
from apiclient.ratelimit.concurrency import Slot

if TYPE_CHECKING:
    import redis
    import redis.asyncio

# KEYS: leases, wake. ARGV: member, max_in_flight, lease (us).
# Replies: {1, 0} taken; {0, us until the earliest lease expires} all taken.
_ENTER = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
  redis.call('PEXPIRE', KEYS[1], math.ceil(tonumber(ARGV[3]) / 1000) + 1000)
  return {1, 0}
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, math.max(0, tonumber(first[2]) - now)}
"""

# KEYS: leases, wake. ARGV: member, max_in_flight, lease (us). Wakes one waiter.
_LEAVE = """
if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then
  redis.call('RPUSH', KEYS[2], '1')
  redis.call('LTRIM', KEYS[2], -tonumber(ARGV[2]), -1)
  redis.call('PEXPIRE', KEYS[2], math.ceil(tonumber(ARGV[3]) / 1000) + 1000)
end
return 1
"""

#: The longest a waiter blocks on the wake list before looking again (seconds).
_LONGEST_BLOCK = 1.0


class RedisConcurrencyLimiter:
    """At most ``max_in_flight`` requests at once among every user of ``key`` (see module).

    Args:
        url_or_client: a ``redis://`` URL (sync and asyncio), or a ``redis.Redis`` /
            ``redis.asyncio.Redis`` (its own flavour only).
        key: the shared limit's name.
        max_in_flight: slots.
        lease_seconds: how long a slot stays taken if its holder dies without releasing.
        timeout: seconds to connect to and hear from Redis (clients made from a URL).
    """

    def __init__(
        self,
        url_or_client: str | redis.Redis | redis.asyncio.Redis,
        key: str = "apiclient",
        max_in_flight: int = 4,
        *,
        lease_seconds: float = 60.0,
        timeout: float = 2.0,
    ) -> None:
        if max_in_flight < 1 or lease_seconds <= 0:
            raise ValueError("max_in_flight must be >= 1 and lease_seconds > 0")
        redis_module = _redis_module()
        self.key = key
        self.max_in_flight = max_in_flight
        self.lease_seconds = lease_seconds
        self._keys = [f"{{{key}}}:leases", f"{{{key}}}:wake"]
        self._member_prefix = f"{os.getpid()}-{os.urandom(6).hex()}-"
        self._counter = itertools.count()
        self._timeout = timeout
        self._url = url_or_client if isinstance(url_or_client, str) else None
        self._given_async = (
            url_or_client if isinstance(url_or_client, redis_module.asyncio.Redis) else None
        )
        self._sync: Any = None
        if self._url is not None:
            self._sync = redis_module.Redis.from_url(
                self._url, socket_timeout=timeout + _LONGEST_BLOCK, socket_connect_timeout=timeout
            )
        elif self._given_async is None:
            self._sync = url_or_client
        self._async: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
        self._releasing: set[asyncio.Task[Any]] = set()

    # -- sync -----------------------------------------------------------------------------

    def enter(self, timeout: float | None = None) -> Slot:
        """Take a slot, waiting up to ``timeout`` seconds (None: as long as it takes)."""
        client = self._sync_client()
        member = self._member()
        give_up = None if timeout is None else time.monotonic() + timeout
        try:
            while True:
                taken, wait_us = client.eval(_ENTER, 2, *self._keys, *self._args(member))
                if taken:
                    return Slot(lambda: self._leave(client, member))
                block = self._block_for(int(wait_us), give_up, timeout)
                client.blpop(self._keys[1], timeout=block)
        except _redis_module().RedisError as exc:
            raise self._unavailable(exc) from None

    def _leave(self, client: Any, member: str) -> None:
        try:
            client.eval(_LEAVE, 2, *self._keys, *self._args(member))
        except _redis_module().RedisError:
            pass  # the lease expires on its own

    # -- asyncio --------------------------------------------------------------------------

    async def enter_async(self, timeout: float | None = None) -> Slot:
        """``enter`` for asyncio (each event loop gets its own connections)."""
        client = self._async_client()
        member = self._member()
        give_up = None if timeout is None else time.monotonic() + timeout
        try:
            while True:
                taken, wait_us = await client.eval(_ENTER, 2, *self._keys, *self._args(member))
                if taken:
                    return Slot(lambda: self._leave_soon(client, member))
                block = self._block_for(int(wait_us), give_up, timeout)
                await client.blpop(self._keys[1], timeout=block)
        except _redis_module().RedisError as exc:
            raise self._unavailable(exc) from None

    def _leave_soon(self, client: Any, member: str) -> None:
        """Release from sync code (a stream's close): as a task of the running loop."""
        try:
            task = asyncio.get_running_loop().create_task(self._leave_async(client, member))
        except RuntimeError:  # no loop running any more: the lease expires on its own
            return
        self._releasing.add(task)
        task.add_done_callback(self._releasing.discard)

    async def _leave_async(self, client: Any, member: str) -> None:
        try:
            await client.eval(_LEAVE, 2, *self._keys, *self._args(member))
        except _redis_module().RedisError:
            pass

    async def aclose(self) -> None:
        """Close the connections this limiter opened for the running event loop."""
        if self._releasing:
            await asyncio.gather(*self._releasing, return_exceptions=True)
        client = self._async.pop(asyncio.get_running_loop(), None)
        if client is not None and self._given_async is None:
            await client.aclose()

    # -- shared ---------------------------------------------------------------------------

    def in_flight(self) -> int:
        """Leases held now (expired ones not counted), by the Redis server's clock."""
        client = self._sync_client()
        seconds, micros = client.time()
        return int(client.zcount(self._keys[0], seconds * 1_000_000 + micros, "+inf"))

    def _member(self) -> str:
        return f"{self._member_prefix}{next(self._counter)}"

    def _args(self, member: str) -> list[str]:
        return [member, str(self.max_in_flight), str(int(self.lease_seconds * 1e6))]

    def _block_for(self, wait_us: int, give_up: float | None, timeout: float | None) -> float:
        """How long to wait on the wake list; ``InFlightLimitReached`` past the budget."""
        block = min(_LONGEST_BLOCK, max(wait_us / 1e6, 0.01))
        if give_up is not None:
            left = give_up - time.monotonic()
            if left <= 0:
                raise InFlightLimitReached(
                    f"no shared request slot came free within {timeout:g}s "
                    f"(max_in_flight={self.max_in_flight})"
                )
            block = min(block, left)
        return max(block, 0.01)

    def _sync_client(self) -> Any:
        if self._sync is None:
            raise TypeError("this limiter was given an asyncio client: use enter_async")
        return self._sync

    def _async_client(self) -> Any:
        if self._given_async is not None:
            return self._given_async
        if self._url is None:
            raise TypeError("this limiter was given a sync client: use enter")
        loop = asyncio.get_running_loop()
        client = self._async.get(loop)
        if client is None:
            client = self._async[loop] = _redis_module().asyncio.Redis.from_url(
                self._url,
                socket_timeout=self._timeout + _LONGEST_BLOCK,
                socket_connect_timeout=self._timeout,
            )
        return client

    def _unavailable(self, error: Exception) -> SharedStateError:
        return shared_state_error(error, f"concurrency limit {self.key!r}")

    def close(self) -> None:
        """Close the sync client's connections (if this limiter made them)."""
        if self._url is not None and self._sync is not None:
            self._sync.close()

    def __repr__(self) -> str:
        return f"RedisConcurrencyLimiter(key={self.key!r}, max_in_flight={self.max_in_flight})"
