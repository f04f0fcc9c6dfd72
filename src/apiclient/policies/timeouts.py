"""How long a call may take: per connect, per read, and in total (the call's deadline)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from apiclient.defaults import CONNECT_TIMEOUT, READ_TIMEOUT, TOTAL_TIMEOUT


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Time limits in seconds; ``None`` means no limit for that phase.

    Attributes:
        connect: to establish the connection (TCP and TLS).
        read: between two reads from the server.
        total: wall-clock budget for the whole call: attempts, redirects, retry waits and
            rate-limit waits. A wait the server asks for that would pass it raises at once.
    """

    connect: float | None = CONNECT_TIMEOUT
    read: float | None = READ_TIMEOUT
    total: float | None = TOTAL_TIMEOUT

    @classmethod
    def coerce(cls, value: TimeoutLike) -> Timeouts:
        """Accept a ``Timeouts``, a number (connect and read), or a ``(connect, read)`` pair."""
        if isinstance(value, Timeouts):
            return value
        if value is None:
            return cls(connect=None, read=None, total=None)
        if isinstance(value, tuple):
            connect, read = value
            return cls(connect=connect, read=read)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if value <= 0:
                raise ValueError("timeout must be positive")
            return cls(connect=float(value), read=float(value))
        raise TypeError(f"timeout must be a number, a pair or Timeouts, not {value!r}")

    def within(self, remaining: float | None) -> Timeouts:
        """Narrow each phase so that none outlasts ``remaining`` seconds of the deadline."""
        if remaining is None:
            return self
        return Timeouts(
            connect=remaining if self.connect is None else min(self.connect, remaining),
            read=remaining if self.read is None else min(self.read, remaining),
            total=remaining,
        )


def narrowed(timeouts: Timeouts, remaining: float | None) -> Timeouts:
    """``timeouts.within(remaining)``, cached: what each attempt of a call is given.

    The remaining time differs by microseconds from call to call, so above one second it is
    rounded *down* to 10 ms (the deadline can only come 10 ms early) and the result is
    shared: one object instead of a new one per call (and transports cache what they make
    of it). Below a second the exact value is used.
    """
    if remaining is None:
        return timeouts
    if remaining < 1.0:
        return timeouts.within(remaining)
    return _narrowed(timeouts, int(remaining * 100) / 100)


@lru_cache(maxsize=256)
def _narrowed(timeouts: Timeouts, remaining: float) -> Timeouts:
    return timeouts.within(remaining)


TimeoutLike = Timeouts | float | int | tuple[float | None, float | None] | None
