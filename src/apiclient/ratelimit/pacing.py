"""Pacing: spreading what is left of a server's quota over the time left before its reset.

The rule. When a response says ``remaining = r`` and ``reset in t`` seconds, at most ``r``
more requests go before the reset. Of those, ``max(1, floor(r * burst))`` may go at once
(``burst`` is 0.5 by default: a client far from the limit is not slowed down); the others
are spread evenly over the time left, one every ``t / (n + 1)`` seconds for the ``n`` left.
A caller for whom nothing is left waits for the reset, and then the next window is
assumed to be like the last one (``limit`` requests per window, one spread like this) until
a response says otherwise::

    remaining=5, reset=10 s, burst=0.5:   ||    |    |    |    ||    |    |    |
                                          0    2.5   5   7.5   10  12.5 ...
                                          2 at once, 3 spread; the 6th waits for the reset

Every response corrects the plan: what the server says is left, less the requests already
sent that it has not answered yet, is an upper bound on what may still go (so other
clients spending the same quota slow this one down too). Nothing here reads a clock or
takes a lock: the ``AdaptiveThrottle`` does both.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: Two resets closer than this (seconds) are the same window: whole-second headers jitter.
SAME_WINDOW = 1.5


@dataclass(frozen=True, slots=True)
class Pacing:
    """How the client paces itself from the server's quota headers (see the module).

    ``burst`` is the share of what is left that may go at once (0: spread every request
    evenly; 1: only stop at the wall).
    """

    burst: float = 0.5

    def __post_init__(self) -> None:
        if not 0.0 <= self.burst <= 1.0:
            raise ValueError("burst must be between 0 and 1")

    @classmethod
    def coerce(cls, value: Pacing | bool | None) -> Pacing | None:
        """``True`` is the default pacing, ``False`` / ``None`` none."""
        if value is True:
            return cls()
        return value or None


class Pacer:
    """One quota window's plan: which request may go when (see the module docstring)."""

    __slots__ = (
        "_burst", "_free", "_interval", "_last", "_left", "_limit", "_next", "_reset_at",
        "_window", "outstanding",
    )  # fmt: skip

    def __init__(self, pacing: Pacing) -> None:
        self._burst = pacing.burst
        self._reset_at = -math.inf  # when the current window ends (the caller's clock)
        self._left = 0  # requests that may still go before it
        self._free = 0  # of those, how many may go at once
        self._next = -math.inf  # the next spread slot
        self._interval = 0.0
        self._last = -math.inf  # the latest slot given
        self._limit = 0  # requests per window (from the headers, or the most seen)
        self._window = 0.0  # seconds per window (from the headers, or the longest seen)
        #: Requests sent that the server has not answered yet (counted by the throttle).
        self.outstanding = 0

    @property
    def active(self) -> bool:
        """Whether a window is known (pacing applies)."""
        return self._reset_at > -math.inf

    def update(
        self, now: float, remaining: int, reset: float, limit: int | None, window: float | None
    ) -> None:
        """A response said ``remaining`` requests are left, for ``reset`` seconds."""
        reset_at = now + reset
        self._limit = limit or max(self._limit, remaining + self.outstanding + 1)
        self._window = window or max(self._window, reset)
        left = max(0, remaining - self.outstanding)
        if now >= self._reset_at or reset_at > self._reset_at + SAME_WINDOW:
            self._start(now, reset_at, left)
        elif left < self._left:
            self._left = left
            self._free = min(self._free, left)
            self._spread(now)

    def book(self, now: float, max_wait: float | None) -> tuple[float, bool]:
        """The caller's turn: ``(seconds to wait, booked)``.

        Booked: the slot is the caller's once it has waited. Not booked: nothing is left
        before the reset (wait, then ask again), or the slot would be later than
        ``max_wait`` (nothing was taken; the caller gives up).
        """
        if now >= self._reset_at and not self._roll(now):
            return 0.0, True
        if self._left <= 0:
            return self._reset_at - now, False
        if self._free > 0:
            self._free -= 1
            self._left -= 1
            self._last = max(self._last, now)
            return 0.0, True
        slot = max(now, self._next)
        wait = slot - now
        if max_wait is not None and wait > max_wait:
            return wait, False
        self._left -= 1
        self._last = slot
        self._next = slot + self._interval
        return wait, True

    def _start(self, now: float, reset_at: float, left: int) -> None:
        self._reset_at = reset_at
        self._left = left
        self._free = min(left, max(1, int(left * self._burst)))
        self._last = now
        self._spread(now)

    def _roll(self, now: float) -> bool:
        """Past the reset: assume the next window is like the last (False: nothing known)."""
        if not self._limit or self._window <= 0:
            self._reset_at = -math.inf  # no plan until a response brings one
            return False
        windows = math.floor((now - self._reset_at) / self._window) + 1
        self._start(now, self._reset_at + windows * self._window, self._limit)
        return True

    def _spread(self, now: float) -> None:
        """Space the requests that may not go at once evenly over the time left."""
        spread = self._left - self._free
        start = max(now, self._last)
        self._interval = (self._reset_at - start) / (spread + 1) if spread > 0 else 0.0
        self._next = start + self._interval

    def __repr__(self) -> str:
        return f"Pacer(left={self._left}, free={self._free}, every={self._interval:.2f}s)"
