"""A rate limit shared by every process and machine using the same Redis key.

Theory of operation: the same two-phase scheme as the in-process ``RateLimiter`` (book a
turn on arrival, grant on waking against the log of actual grants), run as Lua scripts on
the Redis server (``redis_scripts``), so each step is atomic and every time is the server's
clock (``TIME``): machines with skewed clocks still agree. An uncontended caller books and
is granted in one script, one round trip; a blocked caller sleeps until its turn and is
granted by a second script, so nobody polls. The keys share one hash tag (one Redis Cluster
slot) and expire after the longest window.

Faults, each by design (docs/ratelimiting.md, "Running a fleet"):

- every Redis call is bounded by the caller's deadline (and ``timeout``), never retried;
- Redis unreachable: ``RateLimiterUnavailable``, or grants from ``fallback`` (a share of
  the limit, ``N / expected_processes``), with one warning per outage;
- Redis answering but refusing (a replica, a Cluster node without cluster mode, another
  program's key, out of memory, ACL): ``RateLimiterMisconfigured``, never the fallback;
- another limit stored on the key: ``RateLimitConfigMismatch``;
- the state lost (a restart, a failover): noticed by any process that saw a recent grant,
  and nothing is granted for one longest window from then (``on_lost_state="wait"``).
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Literal

from apiclient._redis import scripts
from apiclient._redis.scripts import describe, redis_errors, shared_state_error
from apiclient._redis.topology import RedisLink
from apiclient.errors import RateExceededError, RateLimitConfigMismatch, RateLimiterUnavailable
from apiclient.ratelimit.memory import Limit, RateLimiter
from apiclient.ratelimit.redis_scripts import PAUSE, STEP

if TYPE_CHECKING:
    import redis
    import redis.asyncio

log: logging.Logger = logging.getLogger("apiclient")

#: A blocked caller sleeps this much past its turn (at most 1% of the shortest window), so
#: that the grant booked before it, itself a little late, has happened when it wakes.
_LATENESS = 0.0005

_GRANTED, _BOOKED, _REFUSED, _MISMATCH = 1, 2, 0, 3

#: What Redis said for one request: (status, seconds to wait, granted at epoch seconds).
_Outcome = tuple[int, float, float]


class _Waiter:
    """One caller of ``acquire``: its booking's name, its deadline, what it was told."""

    __slots__ = ("event", "give_up", "holder", "member", "outcome")

    def __init__(self, member: str, give_up: float | None) -> None:
        self.member = member
        self.give_up = give_up
        self.holder = False  # holds a booking (or books now): serves the queue behind it
        self.event = threading.Event()
        self.outcome: _Outcome | BaseException | None = None


class RedisRateLimiter:
    """The ``RateLimiter`` semantics, shared through Redis by every process using ``key``.

    Args:
        url_or_client: a URL (``redis://``, ``rediss://``, ``redis+sentinel://``), or a
            redis-py client: ``Redis``, ``RedisCluster``, a ``Sentinel`` (with
            ``service_name``), or their asyncio flavours. From a URL both ``acquire`` and
            ``acquire_async`` work; a client supports its own flavour only.
        key: the name of the shared limit; every user of the same key shares one limit.
        max_messages, every_seconds, also, margin: the limits, as for ``RateLimiter``.
        timeout: the longest any Redis round trip may take (a caller's own deadline may
            make it shorter); for clients made from a URL, also the connect timeout.
        fallback: while Redis is unreachable, grant from a local limiter: ``True`` for
            ``max_messages // expected_processes`` per window (each limit), or a
            ``RateLimiter`` of your own. Without it, ``RateLimiterUnavailable`` is raised.
        expected_processes: how many processes share the key (for ``fallback=True``).
        on_lost_state: ``"wait"`` (grant nothing for one window after the state is found
            lost) or ``"reset"`` (start counting again at once).
        cluster: ``True`` for a Redis Cluster URL; ``None`` finds out by itself.
        service_name: the master's name when ``url_or_client`` is a ``Sentinel``.
    """

    def __init__(
        self,
        url_or_client: str | redis.Redis | redis.asyncio.Redis | Any,
        key: str = "apiclient",
        max_messages: int = 10,
        every_seconds: float = 1.0,
        *,
        also: Iterable[Limit] = (),
        margin: float | None = None,
        timeout: float = 2.0,
        fallback: RateLimiter | bool | None = None,
        expected_processes: int | None = None,
        on_lost_state: Literal["wait", "reset"] = "wait",
        cluster: bool | None = None,
        service_name: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not key:
            raise ValueError("key must not be empty (it names the shared limit's Redis keys)")
        if on_lost_state not in ("wait", "reset"):
            raise ValueError('on_lost_state is "wait" or "reset"')
        self.key = key
        self._set_limits((Limit(max_messages, float(every_seconds), margin), *also))
        self.fallback = _fallback(fallback, self.limits, expected_processes)
        self._sleep = sleep
        self._keys = [f"{{{key}}}:{part}" for part in ("bookings", "grants", "pause", "meta")]
        self._on_lost = on_lost_state
        self._member_prefix = f"{os.getpid()}-{os.urandom(6).hex()}-"
        self._counter = itertools.count()  # next() on a count is atomic; a generator is not
        self._timeout = timeout
        self._known = (0, 0)  # the newest grant seen: its number and time (server us)
        self._outage = False
        self._local = threading.Lock()  # guards the two below
        self._holders = 0  # this process's callers holding a booking, or booking
        self._waiting: deque[_Waiter] = deque()  # callers waiting for a holder to book for them
        self._link = RedisLink(
            url_or_client, timeout=timeout, cluster=cluster, service_name=service_name
        )

    def _set_limits(self, limits: tuple[Limit, ...]) -> None:
        """The limits, as the scripts take them and as the key stores them."""
        self.limits = limits
        windows = [(lim.max_messages, int(lim.spacing * 1e6)) for lim in limits]
        self._limit_args = [str(v) for pair in windows for v in pair]
        self._config = ",".join(sorted(_describe_limit(lim) for lim in limits))
        self._lateness = min(_LATENESS, min(lim.every_seconds for lim in limits) / 100)

    # -- sync -----------------------------------------------------------------------------

    def acquire_at(self, block: bool = True, timeout: float | None = None) -> float:
        """``acquire``, returning the grant time on the Redis server's clock (epoch seconds).

        For monitoring and tests; ``nan`` when the fallback limiter granted.
        """
        self._link.sync_client()  # an asyncio-only limiter says so before anything else
        give_up = _give_up(block, timeout)
        me = _Waiter(self._member(), give_up)
        try:
            if not block or timeout == 0:  # a grant now or a refusal: one round trip
                outcomes = self._step("b", me, [], _max_wait(block, timeout))
                return self._decided(outcomes[0], timeout)
            return self._acquire_in_turn(me, timeout)
        except redis_errors() as exc:
            self._fall_back(exc)
            assert self.fallback is not None
            self.fallback.acquire(block, _left(give_up) if block else timeout)
            return float("nan")

    def _acquire_in_turn(self, me: _Waiter, timeout: float | None) -> float:
        """Book (or have this process's current holder book for us), sleep, take the grant."""
        with self._local:
            me.holder = self._holders == 0
            if me.holder:
                self._holders += 1
            else:
                self._waiting.append(me)
        try:
            outcome = self._booked_for(me, timeout) if not me.holder else None
            if outcome is None:  # our own turn to book (and to book for those behind us)
                outcome = self._step_serving("b", me)
            while outcome[0] == _BOOKED:
                self._sleep(outcome[1] + self._lateness)
                outcome = self._step_serving("g", me)
            return self._decided(outcome, timeout)
        finally:
            if me.holder:
                self._leave()

    def _booked_for(self, me: _Waiter, timeout: float | None) -> _Outcome | None:
        """Wait in this process's queue; None when it is our turn to book ourselves."""
        if not me.event.wait(_left(me.give_up)):
            with self._local:
                if me in self._waiting:
                    self._waiting.remove(me)
                    raise RateExceededError(
                        f"shared rate limit would not grant within {timeout:g}s"
                    )
            me.event.wait()  # our booking is on its way: one round trip
        if isinstance(me.outcome, BaseException):
            raise copy.copy(me.outcome)  # the holder's error, one copy per thread raising it
        return me.outcome

    def _step_serving(self, op: str, me: _Waiter) -> _Outcome:
        """Run ``op`` for ``me`` and book for every caller queued behind us, in one script."""
        with self._local:
            others, self._waiting = list(self._waiting), deque()
        try:
            outcomes = self._step(op, me, others, _max_wait(True, _left(me.give_up)))
        except BaseException as exc:
            for other in others:
                other.outcome = exc
                other.event.set()
            raise
        booked = [outcome[0] == _BOOKED for outcome in outcomes[1:]]
        with self._local:
            self._holders += sum(booked)  # before any of them runs: they hold a booking now
        for other, outcome, holder in zip(others, outcomes[1:], booked, strict=True):
            other.holder, other.outcome = holder, outcome
            other.event.set()
        return outcomes[0]

    def _leave(self) -> None:
        """A holder is done; if callers still queue and none holds, the first books itself."""
        with self._local:
            self._holders -= 1
            if self._holders == 0 and self._waiting:
                first = self._waiting.popleft()
                first.holder, first.outcome = True, None
                self._holders += 1
                first.event.set()

    def _step(
        self, op: str, me: _Waiter, others: Sequence[_Waiter], max_wait: str
    ) -> list[_Outcome]:
        requests = [op, me.member, max_wait]
        for other in others:
            requests += ["b", other.member, _max_wait(True, _left(other.give_up))]
        budget = self._io_budget([me, *others], op == "b" and max_wait == "0")
        reply = scripts.run(self._link, STEP, self._keys, self._args(requests), budget)
        return self._outcomes(reply)

    def acquire(self, block: bool = True, timeout: float | None = None) -> bool:
        """Take one grant, waiting for it if ``block`` (up to ``timeout`` seconds)."""
        self.acquire_at(block, timeout)
        return True

    def pause(self, seconds: float) -> None:
        """Make every user of the key wait ``seconds`` (best effort if Redis is away)."""
        self._link.sync_client()
        try:
            scripts.run(self._link, PAUSE, self._keys[2:3], [int(seconds * 1e6)], self._timeout)
        except redis_errors() as exc:
            self._pause_not_shared(exc)
        if self.fallback is not None:
            self.fallback.pause(seconds)

    # -- asyncio --------------------------------------------------------------------------

    async def acquire_async(self, block: bool = True, timeout: float | None = None) -> bool:
        """``acquire`` for asyncio; each event loop gets its own connections."""
        give_up = _give_up(block, timeout)
        me = _Waiter(self._member(), give_up)
        try:
            outcome = await self._step_async("b", me, _max_wait(block, timeout))
            while outcome[0] == _BOOKED:
                await asyncio.sleep(outcome[1] + self._lateness)
                outcome = await self._step_async("g", me, _max_wait(True, _left(give_up)))
            self._decided(outcome, timeout)
        except redis_errors() as exc:
            self._fall_back(exc)
            assert self.fallback is not None
            return await self.fallback.acquire_async(block, _left(give_up) if block else timeout)
        return True

    async def _step_async(self, op: str, me: _Waiter, max_wait: str) -> _Outcome:
        budget = self._io_budget([me], op == "b" and max_wait == "0")
        args = self._args([op, me.member, max_wait])
        reply = await scripts.run_async(self._link, STEP, self._keys, args, budget)
        return self._outcomes(reply)[0]

    async def pause_async(self, seconds: float) -> None:
        """``pause`` for asyncio: the event loop is not held while Redis answers (or not)."""
        try:
            await scripts.run_async(
                self._link, PAUSE, self._keys[2:3], [int(seconds * 1e6)], self._timeout
            )
        except redis_errors() as exc:
            self._pause_not_shared(exc)
        if self.fallback is not None:
            self.fallback.pause(seconds)

    async def aclose(self) -> None:
        """Close the connections this limiter opened for the running event loop.

        Call it before an event loop ends (a loop's connections cannot outlive it). An
        asyncio client you passed in is yours to close.
        """
        await self._link.aclose()

    # -- shared ---------------------------------------------------------------------------

    def _member(self) -> str:
        return f"{self._member_prefix}{next(self._counter)}"

    def _args(self, requests: list[str]) -> list[str]:
        seq, last = self._known
        return [self._config, str(seq), str(last), self._on_lost, str(len(self.limits)),
                *self._limit_args, *requests]  # fmt: skip

    def _io_budget(self, waiters: list[_Waiter], no_wait: bool) -> float:
        """Seconds the round trip may take: ``timeout``, or less if every caller's budget is.

        A caller that accepts no wait at all (``block=False``, ``timeout=0``) still gets
        ``timeout`` for the round trip itself.
        """
        lefts = [_left(waiter.give_up) for waiter in waiters]
        if no_wait or None in lefts:
            return self._timeout
        return min(self._timeout, max(left for left in lefts if left is not None))

    def _outcomes(self, reply: list[Any]) -> list[_Outcome]:
        """Each request's (status, wait s, granted at s); the shared part of the reply noted."""
        flag, seq, last = (int(v) for v in reply[:3])
        if flag == _MISMATCH:
            raise self._mismatch(reply[3])
        if seq > self._known[0]:
            self._known = (seq, last)
        if int(reply[3]):
            self._lost_state_noticed()
        self._recovered()
        values = [int(v) for v in reply[4:]]
        return [
            (values[i], values[i + 1] / 1e6, values[i + 2] / 1e6) for i in range(0, len(values), 3)
        ]

    @staticmethod
    def _decided(outcome: _Outcome, timeout: float | None) -> float:
        """The grant time of a granted outcome; ``RateExceededError`` for a refused one."""
        status, wait, granted_at = outcome
        if status == _REFUSED:
            raise RateExceededError(
                "shared rate limit reached"
                if not timeout
                else f"shared rate limit would not grant within {timeout:g}s",
                retry_after=wait,
            )
        return granted_at

    def _mismatch(self, stored: bytes | str) -> RateLimitConfigMismatch:
        theirs = _describe_config(stored.decode() if isinstance(stored, bytes) else stored)
        mine = _describe_config(self._config)
        return RateLimitConfigMismatch(
            f"the Redis key {self.key!r} is used with the limits {theirs}; this limiter has "
            f"{mine}. Limiters sharing a key must have the same limits (or use another key)",
            stored=theirs,
            mine=mine,
        )

    def _lost_state_noticed(self) -> None:
        longest = max(lim.spacing for lim in self.limits)
        then = "nothing is granted for" if self._on_lost == "wait" else "counting restarts; not"
        log.warning(
            "the shared rate limit %r lost its state (Redis restarted or failed over): "
            "%s %gs, to stay within the limit",
            self.key,
            then,
            longest,
        )

    def _fall_back(self, error: BaseException) -> None:
        typed = shared_state_error(error, f"rate limit {self.key!r}")
        if self.fallback is None or not isinstance(typed, RateLimiterUnavailable):
            raise typed from None
        if not self._outage:
            self._outage = True
            log.warning(
                "%s; granting from the local fallback limiter (%s) until Redis answers",
                typed.message,
                _describe_limits(self.fallback.limits),
            )

    def _recovered(self) -> None:
        if self._outage:
            self._outage = False
            log.warning("rate limit %r: Redis answers again; the shared limit applies", self.key)

    @staticmethod
    def _pause_not_shared(error: BaseException) -> None:
        log.warning("could not share a rate-limit pause through Redis: %s", describe(error))

    def close(self) -> None:
        """Close the sync client's connections (if this limiter made them)."""
        self._link.close()

    def __repr__(self) -> str:
        return f"RedisRateLimiter(key={self.key!r}, {_describe_limits(self.limits)})"


def _fallback(
    fallback: RateLimiter | bool | None, limits: tuple[Limit, ...], processes: int | None
) -> RateLimiter | None:
    """The local limiter to use while Redis is away: this process's share of the limit."""
    if fallback is None or fallback is False:
        return None
    if isinstance(fallback, RateLimiter):
        return fallback
    if processes is None or processes < 1:
        raise ValueError("fallback=True needs expected_processes= (how many share the key)")
    shares = [
        Limit(lim.max_messages // processes, lim.every_seconds, lim.margin)
        for lim in limits
        if lim.max_messages // processes >= 1
    ]
    if len(shares) < len(limits):
        raise ValueError(
            f"a {processes}-way share of {_describe_limits(limits)} is less than one grant "
            "per window: use fewer expected_processes or no fallback"
        )
    first, *rest = shares
    return RateLimiter(first.max_messages, first.every_seconds, also=rest, margin=first.margin)


def _describe_limit(limit: Limit) -> str:
    """``5/3600s`` (with ``+0.01s`` when a margin was chosen): also the key's stored form."""
    margin = "" if limit.margin is None else f"+{limit.margin:g}s"
    return f"{limit.max_messages}/{limit.every_seconds:g}s{margin}"


def _describe_limits(limits: Iterable[Limit]) -> str:
    return ", ".join(_describe_limit(lim) for lim in limits)


def _describe_config(config: str) -> str:
    """The stored ``"10/1s,5/3600s"`` as the error shows it."""
    return config.replace(",", ", ")


def _max_wait(block: bool, timeout: float | None) -> str:
    """The script's max wait argument: microseconds, or -1 for no limit."""
    max_wait = 0.0 if not block else timeout
    return "-1" if max_wait is None else str(int(max_wait * 1e6))


def _give_up(block: bool, timeout: float | None) -> float | None:
    """When a caller accepting ``timeout`` seconds of wait stops accepting (monotonic)."""
    if not block:
        return None
    return None if timeout is None else time.monotonic() + timeout


def _left(give_up: float | None) -> float | None:
    """Seconds until ``give_up`` (never negative; None: no limit)."""
    return None if give_up is None else max(0.0, give_up - time.monotonic())
