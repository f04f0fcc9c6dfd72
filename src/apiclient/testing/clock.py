"""``FakeClock``: one fake time for the whole stack, so a test asserts exact waits.

    clock = FakeClock()
    api = MyClient(base_url=server.url, clock=clock)          # its sleep is clock.sleep
    limiter = RateLimiter(10, 1, clock=clock)                  # the same time, the same sleep
    auth = OAuth2ClientCredentials(..., clock=clock)           # token expiry on it too
    server.add("GET /x", rate_limited(reply, limit=1, window=60, clock=clock))
    ...
    assert clock.sleeps == [60.0]

``sleep`` (and ``await async_sleep``) moves the time at once by what was asked and records
it; ``advance`` moves it without recording a wait. It reads as epoch seconds (it starts at
``start``, a real-looking date), so one clock serves where a monotonic clock is expected
and where a wall clock is (rate-limit reset times, ``Date`` headers, token expiry).
"""

from __future__ import annotations

import asyncio
import threading

#: 2026-01-01T00:00:00Z: a fake clock starts at a real-looking date.
DEFAULT_START = 1_767_225_600.0


class FakeClock:
    """A clock that moves only when slept on or advanced. Thread-safe; callable as ``now``."""

    def __init__(self, start: float = DEFAULT_START) -> None:
        self._now = float(start)
        self._lock = threading.Lock()
        #: Every wait asked of ``sleep`` / ``async_sleep``, in order (seconds).
        self.sleeps: list[float] = []

    def now(self) -> float:
        """The fake time, in seconds."""
        return self._now

    __call__ = now

    def wall_clock(self) -> float:
        """The same time, as epoch seconds (for the parts that read a wall clock)."""
        return self._now

    def advance(self, seconds: float) -> None:
        """Move the time on by ``seconds`` (time passing while nobody waits)."""
        if seconds < 0:
            raise ValueError("a clock cannot go back")
        with self._lock:
            self._now += seconds

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds``: recorded, and the time moves on by exactly that, at once."""
        with self._lock:
            self.sleeps.append(seconds)
            self._now += max(0.0, seconds)

    async def async_sleep(self, seconds: float) -> None:
        """``sleep`` for asyncio: the time moves on, and other tasks get their turn."""
        self.sleep(seconds)
        await asyncio.sleep(0)

    @property
    def slept(self) -> float:
        """The total of the waits."""
        return sum(self.sleeps)

    def __repr__(self) -> str:
        return f"FakeClock(now={self._now!r}, sleeps={len(self.sleeps)})"
