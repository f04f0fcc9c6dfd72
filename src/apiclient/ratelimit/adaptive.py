"""Adaptive throttling: the server's rate-limit signals, obeyed by every caller at once.

Without it, each thread of a client discovers a rate limit on its own by hitting it, and the
server sees a burst of doomed requests. The throttle reads every response (see
``policies.ratelimit_headers``) and keeps two things the request loop asks before each
attempt: a *pause* ("not before" time, from ``Retry-After`` or an exhausted quota) and a
*pacing plan* (``ratelimit.pacing``: what is left of the quota, spread over the time left).

A client has one throttle per bucket (``RATE_LIMITS``), and clients sharing a limiter share
its throttle, so they pace and pause together. When the server names the limit a response
concerns (``X-RateLimit-Resource: search``, an IETF policy name) and a sibling bucket has
that name, the signal goes to that bucket. A pause up to the caller's ceiling is also
written into the bucket's limiter (``Pause``), so a Redis-shared limiter pauses the fleet;
a longer one stays local: one odd header must not stop a fleet.
"""

from __future__ import annotations

import math
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from apiclient.effects import Pause
from apiclient.models import Response
from apiclient.policies.ratelimit_headers import Dialect, Quota, read_quota, wall_clock_now
from apiclient.ratelimit.base import Limiter
from apiclient.ratelimit.pacing import Pacer, Pacing


class Turn(NamedTuple):
    """A caller's turn: wait ``wait`` seconds; ``booked``: then go (else: ask again).

    ``why`` says what the wait is for: ``"server"`` (a pause) or ``"pacing"``.
    """

    wait: float
    booked: bool
    why: str


_GO = Turn(0.0, True, "")


class AdaptiveThrottle:
    """One bucket's shared pause and pacing plan, set from the server's responses.

    Args:
        clock: monotonic seconds (inject the client's fake clock in tests).
        limiter: the bucket's limiter, paused too when the server asks (if it can pause).
        wall_clock: epoch seconds, for reset times when a response has no ``Date`` (by
            default the clock's own ``wall_clock``, if it has one, else the system's).
        dialect: how the server writes its headers (``"auto"`` guesses; see
            ``read_quota``).
        pacing: spread the remaining quota over the time left (``Pacing``, or True/False).
        name: the limit's name as the server may say it (``X-RateLimit-Resource``).
    """

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        *,
        limiter: Limiter | None = None,
        wall_clock: Callable[[], float] | None = None,
        dialect: Dialect = "auto",
        pacing: Pacing | bool | None = True,
        name: str | None = None,
    ) -> None:
        self._clock = clock
        # (a clock that can tell wall time too, a FakeClock, gives it: one time for both)
        self._wall_clock: Callable[[], float] = (
            wall_clock or getattr(clock, "wall_clock", None) or wall_clock_now
        )
        self._limiter = limiter
        self.dialect: Dialect = dialect
        self.name = name
        self._lock = threading.Lock()
        self._until = -math.inf
        pace = Pacing.coerce(pacing)
        self._pacer = Pacer(pace) if pace is not None else None
        #: The client's other buckets, by name: where a signal about them is sent.
        self.siblings: Mapping[str, AdaptiveThrottle] = {}

    @property
    def limiter(self) -> Limiter | None:
        """The limiter paused with this bucket's callers (which shares it with others)."""
        return self._limiter

    def observe(self, response: Response, ceiling: float = math.inf) -> Pause | None:
        """Read ``response``'s signals into this bucket (or the sibling they name).

        Returns the ``Pause`` to write into the limiter, for the request loop to perform
        (for a Redis-shared limiter it is I/O, which the async client awaits): only for a
        pause up to ``ceiling`` seconds, and only if the limiter can pause.
        """
        quota = read_quota(response, self.dialect, self._wall_clock)
        target = self.siblings.get(quota.resource, self) if quota.resource else self
        if target is not self:
            self.unanswered()
        return target.apply(quota, ceiling, answered=target is self)

    def apply(
        self, quota: Quota, ceiling: float = math.inf, *, answered: bool = False
    ) -> Pause | None:
        """Take ``quota`` into account (``answered``: it answers a request this throttle let go)."""
        pause, pacer = quota.pause, self._pacer
        with self._lock:
            now = self._clock()
            if pacer is not None and answered and pacer.outstanding:
                pacer.outstanding -= 1
            if pause:
                self._until = max(self._until, now + pause)
            if pacer is not None and quota.remaining is not None and quota.reset is not None:
                pacer.update(now, quota.remaining, quota.reset, quota.limit, quota.window)
        limiter = self._limiter
        if pause and limiter is not None and pause <= ceiling:
            return Pause(limiter, pause)
        return None

    def turn(self, ceiling: float = math.inf, deadline: float | None = None) -> Turn:
        """The next caller's turn (see ``Turn``); a booked turn is counted until answered.

        A paced slot more than ``ceiling`` seconds away, or past ``deadline`` (on this
        throttle's clock), is not booked: the caller gives up.
        """
        with self._lock:
            now = self._clock()
            if self._until > now:
                return Turn(self._until - now, False, "server")
            pacer = self._pacer
            if pacer is None:
                return _GO
            if not pacer.active:
                pacer.outstanding += 1
                return _GO
            max_wait = ceiling if deadline is None else min(ceiling, deadline - now)
            wait, booked = pacer.book(now, max_wait)
            if booked:
                pacer.outstanding += 1
            return Turn(wait, booked, "pacing") if wait > 0 or not booked else _GO

    def unanswered(self) -> None:
        """A request this throttle let go got no response (an error, a cancellation)."""
        pacer = self._pacer
        if pacer is not None:
            with self._lock:
                if pacer.outstanding:
                    pacer.outstanding -= 1

    def wait(self) -> float:
        """Seconds left of the server's pause (0.0 when not paused)."""
        left = self._until - self._clock()
        return left if left > 0.0 else 0.0

    def __repr__(self) -> str:
        name = f"{self.name!r}, " if self.name else ""
        return f"AdaptiveThrottle({name}paused_for={self.wait():.1f}s, {self._pacer!r})"


#: Throttles of limiters shared by several clients: (limiter, clock) -> throttle.
_shared: weakref.WeakKeyDictionary[Any, dict[Any, AdaptiveThrottle]] = weakref.WeakKeyDictionary()
_shared_lock = threading.Lock()


def throttle_for(
    limiter: object,
    clock: Callable[[], float],
    *,
    dialect: Dialect = "auto",
    pacing: Pacing | bool | None = True,
    name: str | None = None,
) -> AdaptiveThrottle:
    """The throttle of ``limiter``'s callers (a new one when there is no limiter).

    One per limiter and clock, so that clients sharing a limiter pause and pace together.
    """
    pausable = limiter if isinstance(limiter, Limiter) else None
    if limiter is None:
        return AdaptiveThrottle(clock, dialect=dialect, pacing=pacing, name=name)
    try:
        with _shared_lock:
            by_clock = _shared.setdefault(limiter, {})
            found = by_clock.get(clock)
            if found is None:
                found = by_clock[clock] = AdaptiveThrottle(
                    clock, limiter=pausable, dialect=dialect, pacing=pacing, name=name
                )
            return found
    except TypeError:  # a limiter that cannot be weakly referenced: its own throttle
        return AdaptiveThrottle(clock, limiter=pausable, dialect=dialect, pacing=pacing, name=name)
