"""Which clock measures the waits a ``sleep`` makes, when a test injects one or both.

A client (or a ``RateLimiter``) reads a clock to decide how long to wait and a ``sleep`` to
wait. A test that fakes only ``sleep`` used to see its waits counted twice (a 1 s pause
slept as ``1.0`` and then ``0.9999``: the real clock had not moved while the fake sleep
returned at once). Here, ``sleep=`` without ``clock=`` gets a ``MeasuredClock``: real
monotonic time plus whatever each sleep fell short of the time it was asked to wait. A
real sleep adds nothing; a fake one moves the clock by exactly what it was asked. ``clock=``
without ``sleep=`` takes the clock's own ``sleep`` when it has one (``FakeClock``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

Clock = Callable[[], float]


class MeasuredClock:
    """Monotonic time, plus what the sleeps wrapped by it fell short of (see the module)."""

    def __init__(self, base: Clock = time.monotonic) -> None:
        self._base = base
        self._shortfall = 0.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        """The time now, in seconds."""
        return self._base() + self._shortfall

    def _count(self, asked: float, started: float) -> None:
        short = asked - (self._base() - started)
        if short > 0:
            with self._lock:
                self._shortfall += short

    def sleeping(self, sleep: Callable[[float], Any]) -> Callable[[float], Any]:
        """``sleep``, with what it does not really wait added to this clock."""

        def measured(seconds: float) -> Any:
            started = self._base()
            try:
                return sleep(seconds)
            finally:
                self._count(seconds, started)

        return measured

    def sleeping_async(
        self, sleep: Callable[[float], Awaitable[Any]]
    ) -> Callable[[float], Awaitable[Any]]:
        """The same for an awaitable ``sleep``."""

        async def measured(seconds: float) -> Any:
            started = self._base()
            try:
                return await sleep(seconds)
            finally:
                self._count(seconds, started)

        return measured


def clock_and_sleeps(
    clock: Clock | None, sleep: Any, base: Clock = time.monotonic
) -> tuple[Clock, Any, Any]:
    """One clock, and the sync and async sleeps that go with it (None: the default one).

    For code with both flavours: a sleep given alone is measured by the same clock either
    way. ``base`` is the clock when neither is given (and what a measured sleep adds to).
    """
    if clock is not None:
        if sleep is not None:
            return clock, sleep, sleep
        own, own_async = getattr(clock, "sleep", None), getattr(clock, "async_sleep", None)
        return clock, own if callable(own) else None, own_async if callable(own_async) else None
    if sleep is None:
        return base, None, None
    measured = MeasuredClock(base)
    return measured, measured.sleeping(sleep), measured.sleeping_async(sleep)


def clock_and_sleep(
    clock: Clock | None,
    sleep: Any,
    default_sleep: Any,
    asynchronous: bool = False,
    base: Clock = time.monotonic,
) -> tuple[Clock, Any]:
    """The clock and the one sleep (of one flavour) to use, from what was given."""
    chosen_clock, sync_sleep, async_sleep = clock_and_sleeps(clock, sleep, base)
    chosen = async_sleep if asynchronous else sync_sleep
    return chosen_clock, default_sleep if chosen is None else chosen
