"""Adaptive throttling: when the server says "wait", every caller of the client waits.

Without it, each thread of a client discovers a rate limit on its own by hitting it, and the
server sees a burst of doomed requests. The throttle reads the server's signals from every
response (see ``policies.ratelimit_headers``) and holds one "not before" time that the
client's loop waits out before each attempt. If the client's limiter can pause (apiclient's
limiters can), it is paused too, so a Redis-shared limiter pauses every process.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from apiclient.models import Response
from apiclient.policies.ratelimit_headers import server_pause, wall_clock_now
from apiclient.ratelimit.base import Limiter


class AdaptiveThrottle:
    """One client's shared pause, set from the server's rate-limit headers."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        *,
        limiter: Limiter | None = None,
        wall_clock: Callable[[], float] = wall_clock_now,
    ) -> None:
        self._clock = clock
        self._wall_clock = wall_clock
        self._limiter = limiter
        self._lock = threading.Lock()
        self._until = float("-inf")

    @property
    def limiter(self) -> Limiter | None:
        """The limiter paused with this client's callers (which shares it with others)."""
        return self._limiter

    def observe(self, response: Response) -> float | None:
        """Read ``response``'s wait signal, if any; pause this client's callers for that long.

        Returns the pause. Pausing ``limiter`` (shared with others) is the request loop's
        job, as a ``Pause`` effect: for a Redis-shared limiter it is I/O, which the async
        client must await.
        """
        pause = server_pause(response, self._wall_clock)
        if pause:
            with self._lock:
                self._until = max(self._until, self._clock() + pause)
        return pause

    def wait(self) -> float:
        """Seconds left before the next request may go (0.0 when not paused)."""
        left = self._until - self._clock()
        return left if left > 0.0 else 0.0

    def __repr__(self) -> str:
        return f"AdaptiveThrottle(paused_for={self.wait():.1f}s)"
