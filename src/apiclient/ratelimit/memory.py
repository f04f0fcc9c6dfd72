"""An in-process rate limiter: a strict sliding window over a log of grant times.

Theory of operation: the limiter remembers the times of the last ``max_messages`` grants.
A new grant is allowed at time ``t`` only if fewer than ``max_messages`` grants happened in
``(t - every_seconds, t]``; otherwise the caller must wait until the oldest of them leaves
the window. So no window of ``every_seconds`` ever holds more than ``max_messages`` grants,
whatever the arrival pattern, and no grant is made later than the window allows. The log
is a bounded deque, so each acquire costs O(1). Waiting happens outside the lock.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from apiclient.errors import RateExceededError


class RateLimiter:
    """At most ``max_messages`` grants in any ``every_seconds`` window, shared by threads.

    ``acquire()`` blocks until a grant is free. ``acquire(block=False)`` raises
    ``RateExceededError`` at once if none is; ``acquire(timeout=t)`` raises at once if the
    wait would exceed ``t`` (it does not sleep first). The error's ``retry_after`` says how
    long the wait would have been. ``clock`` and ``sleep`` are injectable for tests.
    """

    def __init__(
        self,
        max_messages: int = 10,
        every_seconds: float = 1.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_messages < 1 or every_seconds <= 0:
            raise ValueError("max_messages must be >= 1 and every_seconds > 0")
        self.max_messages = max_messages
        self.every_seconds = float(every_seconds)
        self._clock = clock
        self._sleep = sleep
        self._grants: deque[float] = deque(maxlen=max_messages)
        self._lock = threading.Lock()

    def try_acquire(self) -> float:
        """Take a grant now if one is free and return 0.0; else return the seconds to wait."""
        with self._lock:
            now = self._clock()
            grants = self._grants
            if len(grants) < self.max_messages:
                grants.append(now)
                return 0.0
            wait = grants[0] + self.every_seconds - now
            if wait <= 0:
                grants.append(now)  # the deque's maxlen drops the expired oldest grant
                return 0.0
            return wait

    def acquire(self, block: bool = True, timeout: float | None = None) -> bool:
        """Take one grant, waiting for it if ``block`` (up to ``timeout`` seconds)."""
        deadline = None if timeout is None else self._clock() + timeout
        while True:
            wait = self.try_acquire()
            if wait == 0.0:
                return True
            if not block:
                raise RateExceededError("rate limit reached", retry_after=wait)
            if deadline is not None and self._clock() + wait > deadline:
                raise RateExceededError(
                    f"rate limit would not grant within {timeout:g}s", retry_after=wait
                )
            self._sleep(wait)

    def __repr__(self) -> str:
        limits = f"max_messages={self.max_messages}, every_seconds={self.every_seconds:g}"
        return f"RateLimiter({limits})"
