"""When to try a request again, and how long to wait first. Pure decisions, no sleeping.

A request is repeated only when repeating it is safe: its method is idempotent, it carries
an ``Idempotency-Key``, or the server refused it without acting on it, which a rate limit
says (a 429, a rate-limited 403, or what ``refused_if`` recognises: a GraphQL
``RATE_LIMITED`` error in a 200), so those are retried for any method once their wait is
honoured. A 5xx or a transport error that may have reached the server is never retried
for a POST without a key; a connect error (nothing was sent) is. Waits use exponential
backoff with full jitter, or the server's ``Retry-After`` when it gives one.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from apiclient.defaults import (
    BACKOFF_FACTOR,
    IDEMPOTENCY_HEADER,
    IDEMPOTENT_METHODS,
    MAX_BACKOFF,
    MAX_RETRIES,
    MAX_RETRY_AFTER,
    RETRY_STATUSES,
)
from apiclient.errors import TransportError
from apiclient.models import Request, Response
from apiclient.policies.ratelimit_headers import (
    is_rate_limited,
    retry_after_seconds,
    server_pause,
    wall_clock_now,
)

#: ``retry_if(request, response)``: True to retry, False not to, None for the default rule.
RetryPredicate = Callable[[Request, Response], "bool | None"]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Immutable retry settings, shared safely by every thread of a client.

    Attributes:
        max_retries: attempts after the first; 0 disables retrying.
        backoff_factor: base of the exponential backoff, in seconds.
        max_backoff: ceiling of one backoff wait.
        max_retry_after: a ``Retry-After`` longer than this is not waited out; the call
            raises at once with ``retry_after`` set so the caller can decide.
        statuses: response statuses that are retried (for requests safe to repeat).
        methods: methods safe to repeat; others need an ``Idempotency-Key`` header.
        respect_retry_after: wait what the server asks instead of the backoff.
        retry_if: optional predicate that sees the response and overrides the status rule
            (it never makes an unsafe request repeatable).
        refused_if: optional predicate for responses that mean "refused, not processed"
            beyond 429 and GitHub's rate-limited 403 (a GraphQL rate-limit error in a 200):
            retried for any method, like a 429.
        jitter: source of uniform numbers in [0, 1), injectable for tests.
        wall_clock: seconds since the epoch, for ``Retry-After`` dates without a ``Date``.
    """

    max_retries: int = MAX_RETRIES
    backoff_factor: float = BACKOFF_FACTOR
    max_backoff: float = MAX_BACKOFF
    max_retry_after: float = MAX_RETRY_AFTER
    statuses: frozenset[int] = RETRY_STATUSES
    methods: frozenset[str] = IDEMPOTENT_METHODS
    respect_retry_after: bool = True
    retry_if: RetryPredicate | None = None
    refused_if: Callable[[Response], bool] | None = None
    jitter: Callable[[], float] = random.random
    wall_clock: Callable[[], float] = wall_clock_now
    #: True when no success (below 300) is ever retried: no ``retry_if``, none in ``statuses``.
    #: The request loop then returns a success without asking ``delay_after_response``.
    successes_are_final: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        final = (
            self.retry_if is None
            and self.refused_if is None
            and all(status >= 300 for status in self.statuses)
        )
        object.__setattr__(self, "successes_are_final", final)

    @classmethod
    def coerce(cls, value: RetryPolicy | int | None) -> RetryPolicy:
        """Accept a policy, a number of retries, or None (meaning no retries)."""
        if isinstance(value, RetryPolicy):
            return value
        if value is None:
            return NO_RETRIES
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return cls(max_retries=value)
        raise TypeError(f"retries must be a non-negative int or RetryPolicy, not {value!r}")

    def is_repeatable(self, request: Request) -> bool:
        """Whether sending ``request`` twice is safe (idempotent method or idempotency key)."""
        return request.method in self.methods or IDEMPOTENCY_HEADER in request.headers

    def backoff(self, retry_number: int) -> float:
        """Full-jitter exponential backoff before retry number ``retry_number`` (from 1)."""
        ceiling = min(self.max_backoff, self.backoff_factor * 2.0 ** (retry_number - 1))
        return float(self.jitter()) * ceiling

    def delay_after_response(
        self, request: Request, response: Response, retries_done: int
    ) -> float | None:
        """Seconds to wait before retrying after ``response``, or None to stop here."""
        if retries_done >= self.max_retries:
            return None
        refused = self.refused_if is not None and self.refused_if(response)
        if (
            self.retry_if is None
            and not refused
            and response.status < 400
            and response.status not in self.statuses
        ):
            return None  # the common case, decided without looking further
        refused = refused or is_rate_limited(response)
        if not refused and not self.is_repeatable(request):
            return None
        verdict = self.retry_if(request, response) if self.retry_if is not None else None
        if verdict is None:
            verdict = refused or response.status in self.statuses
        if not verdict:
            return None
        if self.respect_retry_after:
            asked = retry_after_seconds(response.headers, self.wall_clock)
            if asked is None:
                asked = server_pause(response, self.wall_clock)
            if asked is not None:
                return asked if asked <= self.max_retry_after else None
        return self.backoff(retries_done + 1)

    def delay_after_error(
        self, request: Request, error: TransportError, retries_done: int
    ) -> float | None:
        """Seconds to wait before retrying after a transport ``error``, or None to raise it."""
        if retries_done >= self.max_retries or not error.transient:
            return None
        if error.may_have_been_processed and not self.is_repeatable(request):
            return None
        return self.backoff(retries_done + 1)


NO_RETRIES = RetryPolicy(max_retries=0)
