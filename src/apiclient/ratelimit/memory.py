"""An in-process rate limiter: a strict sliding window, with FIFO reservations.

Theory of operation. For each limit "N grants per T seconds" the limiter keeps the times of
the last N grants (a deque of length N). A caller arriving at ``now`` is given the grant time

    t = max(now, oldest of the last N grants + T, pause end)

taken over every limit, and that time is appended to every log before the lock is released.
So grant times never decrease, and any N + 1 consecutive grants span at least T: no window
of T seconds ever holds more than N grants, whatever the callers do. ``t`` is also the
earliest time the window allows, so the limiter is never slower than the limit.

The caller then sleeps until ``t`` outside the lock. Because the slot is reserved at arrival,
callers are served in arrival order (nobody starves), nobody polls, and an uncontended
acquire is one lock, one clock read and a few deque operations. A caller that would wait
longer than it accepts (``block=False`` or ``timeout``) reserves nothing and raises at once.
A sync and an async caller may share one limiter: only the sleep differs.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from apiclient.errors import RateExceededError


@dataclass(frozen=True, slots=True)
class Limit:
    """At most ``max_messages`` grants in any window of ``every_seconds`` seconds."""

    max_messages: int
    every_seconds: float

    def __post_init__(self) -> None:
        if self.max_messages < 1 or self.every_seconds <= 0:
            raise ValueError("max_messages must be >= 1 and every_seconds > 0")


class RateLimiter:
    """At most ``max_messages`` grants in any ``every_seconds`` window, shared by threads.

    ``acquire()`` blocks until the caller's turn; ``acquire(block=False)`` raises
    ``RateExceededError`` at once unless a grant is free now; ``acquire(timeout=t)`` raises at
    once if the wait would exceed ``t`` (it never sleeps first). The error's ``retry_after``
    says how long the wait would have been. ``await acquire_async()`` does the same for
    asyncio. Several limits can be combined, granted all-or-nothing::

        RateLimiter(10, 1, also=[Limit(5000, 3600)])   # 10 per second and 5,000 per hour

    ``clock`` (monotonic seconds) and ``sleep`` are injectable for tests.
    """

    def __init__(
        self,
        max_messages: int = 10,
        every_seconds: float = 1.0,
        *,
        also: Iterable[Limit] = (),
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limits = (Limit(max_messages, float(every_seconds)), *also)
        self.max_messages = max_messages
        self.every_seconds = float(every_seconds)
        self._logs = [(deque[float](maxlen=lim.max_messages), lim) for lim in self.limits]
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._paused_until = float("-inf")

    def reserve(self, max_wait: float | None = None) -> float:
        """Book the earliest grant and return the seconds until it (0.0 means now).

        If the wait would exceed ``max_wait``, book nothing and raise ``RateExceededError``.
        """
        with self._lock:
            now = self._clock()
            grant = max(now, self._paused_until)
            for log, limit in self._logs:
                if len(log) == limit.max_messages:
                    grant = max(grant, log[0] + limit.every_seconds)
            wait = grant - now
            if max_wait is not None and wait > max_wait:
                raise RateExceededError(
                    "rate limit reached"
                    if max_wait == 0
                    else f"rate limit would not grant within {max_wait:g}s",
                    retry_after=wait,
                )
            for log, _ in self._logs:
                log.append(grant)
            return wait

    def acquire(self, block: bool = True, timeout: float | None = None) -> bool:
        """Take one grant, waiting for it if ``block`` (up to ``timeout`` seconds)."""
        wait = self.reserve(0.0 if not block else timeout)
        if wait > 0:
            self._sleep(wait)
        return True

    async def acquire_async(self, block: bool = True, timeout: float | None = None) -> bool:
        """``acquire`` for asyncio: the wait is an ``asyncio.sleep``, no loop is captured."""
        wait = self.reserve(0.0 if not block else timeout)
        if wait > 0:
            await asyncio.sleep(wait)
        return True

    def pause(self, seconds: float) -> None:
        """Grant nothing for ``seconds`` (the server asked every caller to back off)."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)

    def __repr__(self) -> str:
        limits = ", ".join(f"{lim.max_messages}/{lim.every_seconds:g}s" for lim in self.limits)
        return f"RateLimiter({limits})"
