"""The per-call loop, written once and free of I/O.

Theory of operation: ``exchange`` is a generator. It yields *effects* (``Acquire`` a rate
limiter, ``Send`` a request, ``Sleep`` before a retry, ``Pause`` a shared limiter) and
receives their results; a driver performs them. The sync client drives it with
``transport.send`` and ``time.sleep``, an async client with ``await``; a test drives it
with ``next()``/``send()`` and no clock at all.

A call is three nested steps, each a small generator over one ``_Call`` (its state):

- ``exchange``, the retry loop: until a final response, or an error worth no retry, with
  the backoff or ``Retry-After`` wait between tries, all within the call's deadline;
- ``_hops``, one try: the attempt, then a redirect to follow (credentials dropped on
  another origin) or, after a 401, one refresh of the credentials and the same request;
- ``_attempt``, one exchange on the wire: wait out any pause the server asked for (the
  throttle) and the limiter, apply auth (only on the client's own origin), send.

Every wait counts against the call's deadline (``Timeouts.total``); a wait that would
pass it is not started. Transport errors are thrown into the generator, which retries
them or re-raises them annotated with the redacted request and the attempt count.
Observers (``apiclient.observers``) are told every call, attempt, retry and wait; an
attempt they saw start always ends, whatever is thrown in.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from apiclient.auth.base import Auth, secrets_of
from apiclient.effects import (
    Acquire,
    Call,
    Effect,
    Enter,
    Pause,
    Send,
    Sleep,
    SupportsAcquire,
    Wait,
)  # fmt: skip
from apiclient.errors import APIError, RateExceededError, Timeout, TransportError
from apiclient.models import Request, Response
from apiclient.observers import Observers, TokenRequest
from apiclient.policies.redirects import RedirectPolicy
from apiclient.policies.retries import RetryPolicy
from apiclient.policies.timeouts import Timeouts, narrowed
from apiclient.policies.urls import origin_of
from apiclient.ratelimit.concurrency import Slot, release_when_read
from apiclient.redaction import redact_url, redacted_request, secret_spellings

if TYPE_CHECKING:
    from apiclient.ratelimit.adaptive import Turn

log: logging.Logger = logging.getLogger("apiclient")
T = TypeVar("T")


class Throttle(Protocol):
    """A bucket's pause and pacing, shared by its callers, fed by the server's responses."""

    def turn(self, ceiling: float, deadline: float | None = None) -> Turn:
        """The next attempt's turn: how long to wait, and whether it is then booked.

        A paced slot later than ``ceiling`` seconds or past ``deadline`` (on the client's
        clock) is not booked. A booked turn is counted until ``observe`` or ``unanswered``.
        """
        ...

    def observe(self, response: Response, ceiling: float = ...) -> Pause | None:
        """Note what ``response`` says of the rate limit; a ``Pause`` for the limiter, if any."""
        ...

    def unanswered(self) -> None:
        """A booked attempt ended without a response."""
        ...


Exchange = Generator[Effect, Any, Response]
_NO_PARAMS: frozenset[str] = frozenset()
_NO_OBSERVERS = Observers((), float)


@dataclass(frozen=True, slots=True)
class CallSettings:
    """Everything one call needs to decide, resolved from client defaults and overrides."""

    retry: RetryPolicy
    redirect: RedirectPolicy
    timeout: Timeouts
    max_body_bytes: int
    clock: Callable[[], float]
    auth: Auth | None = None
    limiter: SupportsAcquire | None = None
    throttle: Throttle | None = None
    safe_params: frozenset[str] = frozenset()
    #: The origin credentials belong to (the client's BASE_URL); None: the first URL's.
    auth_origin: tuple[str, str, int | None] | None = None
    #: A URL starting with this is on ``auth_origin`` (a fast check for the common case).
    auth_prefix: str | None = None
    #: Told of every call, attempt, retry and wait (the hooks are one of them).
    observers: tuple[Any, ...] = ()
    #: Leave the final response's body unread (``response.stream``) for the caller.
    stream: bool = False
    #: Where the loop writes: INFO for each retry and pause, DEBUG for each attempt.
    logger: logging.Logger = log
    #: Concurrency limits (``max_in_flight``) an attempt takes a slot of, in this order.
    in_flight: tuple[Any, ...] = ()


def exchange(request: Request, settings: CallSettings) -> Exchange:
    """Run one logical call of ``request`` to its final response (see the module docstring)."""
    call = _Call(request, settings)
    if not call.observers:
        return (yield from _retrying(call))
    with call.observers.call(request) as outcome:
        outcome.response = yield from _retrying(call)
        return outcome.response


def _retrying(call: _Call) -> Exchange:
    """The retry loop: tries, and the wait before each retry, within the deadline."""
    retry, retries_done = call.settings.retry, 0
    while True:
        try:
            response = yield from _hops(call)
        except APIError as error:
            call.annotate(error)
            if not isinstance(error, TransportError):
                raise
            delay = retry.delay_after_error(call.request, error, retries_done)
            if delay is None or not call.fits(delay):
                raise
            cause: object = type(error).__name__
        else:
            final = response.status < 300 and retry.successes_are_final  # the common case
            delay = (
                None if final else retry.delay_after_response(call.request, response, retries_done)
            )
            if delay is None or not call.fits(delay):
                response.attempts = call.attempt
                return response
            response.close()  # a streamed body we will not read goes back now
            cause = response.status
        retries_done += 1
        call.log_retry(cause, retries_done, delay)
        call.observers.retry_scheduled(delay, cause)
        yield Sleep(delay)
        call.observers.waited("backoff", delay)


def _hops(call: _Call) -> Exchange:
    """One try: the attempt, then its redirects and, after a 401, one refreshed resend."""
    settings = call.settings
    while True:
        response = yield from _attempt(call)
        if response.status == 401 and call.may_reauthorize():
            call.reauthorized = True
            refresh = _on_unauthorized(settings.auth, call.prepared, response)
            if (yield from _observed_auth(call, refresh) if call.observers else refresh):
                response.close()
                continue  # refreshed once: send the same request again
        if response.status < 300 and settings.retry.successes_are_final:
            return response  # (redirects are 3xx: the common case, decided at once)
        follow = settings.redirect.next_request(
            call.request, response, call.hops, call.credential_params
        )
        if follow is None:
            return response
        response.close()
        call.hop(follow)


def _attempt(call: _Call) -> Exchange:
    """One attempt: its turn, its slots and grant, then auth and the exchange on the wire."""
    call.attempt += 1
    settings = call.settings
    throttle = settings.throttle
    if throttle is not None:
        yield from _throttle_turn(call, throttle)  # the attempt is counted from here...
    slots = []
    try:
        for limiter in settings.in_flight:
            slots.append((yield from _enter(call, limiter)))
        if settings.limiter is not None:
            yield from _acquire(call, settings.limiter)
        request, timeout = call.request, call.timeout_now()
        if not call.observers:
            prepared = (yield from call.prepare(request)) if call.authorizes else request
            call.prepared = prepared
            response: Response = yield Send(
                prepared, timeout, settings.max_body_bytes, settings.stream
            )
        else:
            response = yield from _observed_send(call, timeout)
    except BaseException:
        for slot in slots:
            slot.release()
        if throttle is not None:
            throttle.unanswered()  # ...to its response, or to here
        raise
    if slots:
        release_when_read(response, slots)
    response.url = request.url  # as built: no credential the auth put in the query
    response.request = request
    if throttle is not None and (
        pause := throttle.observe(response, settings.retry.max_retry_after)
    ):
        yield pause  # write the server's pause into a shared limiter: maybe I/O
    return response


def _observed_send(call: _Call, timeout: Timeouts) -> Exchange:
    """Auth and the exchange, inside the observers' attempt."""
    request, settings = call.request, call.settings
    with call.observers.attempt(request) as outcome:
        prepared = (
            (yield from _observed_auth(call, call.prepare(request))) if call.authorizes else request
        )
        call.prepared = prepared
        response: Response = yield Send(prepared, timeout, settings.max_body_bytes, settings.stream)
        outcome.response = response
    return response


def _throttle_turn(call: _Call, throttle: Throttle) -> Generator[Effect, Any, None]:
    """Wait out the server's pause, then this attempt's paced slot (all within the budget).

    An unbooked wait (a pause, or a window with nothing left) is followed by another turn,
    unless the sleep did not move the clock (a test's sleep): the attempt then goes.
    """
    ceiling, clock = call.settings.retry.max_retry_after, call.settings.clock
    for _ in range(_MOST_TURNS):
        turn = throttle.turn(ceiling, call.deadline)
        if turn.wait <= 0:
            return
        if not turn.booked and (turn.wait > ceiling or not call.fits(turn.wait)):
            raise RateExceededError(_REFUSED[turn.why], retry_after=turn.wait)
        call.log_pause(turn.wait, turn.why)
        started = clock()
        try:
            yield Sleep(turn.wait)
        except BaseException:
            if turn.booked:
                throttle.unanswered()
            raise
        call.waited = True
        call.observers.waited(turn.why, turn.wait)
        if turn.booked or clock() - started < turn.wait / 2:
            return


#: Turns an attempt asks for before it goes anyway (each after a wait the server set).
_MOST_TURNS = 16
_REFUSED = {
    "server": "the server asked every caller to wait",
    "pacing": "the server's remaining quota leaves no slot within the time allowed",
}


def _enter(call: _Call, limiter: Any) -> Generator[Effect, Any, Slot]:
    """A slot of a concurrency limit, waited for within the deadline."""
    started = call.settings.clock() if call.observers else 0.0
    slot: Slot = yield Enter(limiter, call.remaining())
    call.waited = True
    if call.observers:
        call.observers.waited("concurrency", call.settings.clock() - started)
    return slot


def _acquire(call: _Call, limiter: SupportsAcquire) -> Generator[Effect, Any, None]:
    """A grant of the rate limiter, within the deadline."""
    clock = call.settings.clock
    started = clock() if call.observers else 0.0
    yield Acquire(limiter, call.remaining())
    call.waited = True
    if call.observers:
        call.observers.waited("limiter", clock() - started)


def _observed_auth(call: _Call, flow: Generator[Effect, Any, T]) -> Generator[Effect, Any, T]:
    """An auth object's ``flow``, its token requests observed as calls of their own."""
    observers, clock = call.observers, call.settings.clock
    value: Any = None
    thrown: BaseException | None = None
    while True:
        try:
            effect = flow.send(value) if thrown is None else flow.throw(thrown)
        except StopIteration as stop:
            result: T = stop.value
            return result
        value = thrown = None
        try:
            if type(effect) is Send:
                token = TokenRequest.of(effect.request)
                with observers.call(token) as done, observers.attempt(token) as sent:
                    value = done.response = sent.response = yield effect
            else:
                started = clock()
                value = yield effect
                if type(effect) is Wait or (type(effect) is Call and effect.waits):
                    observers.waited("refresh", clock() - started)
        except BaseException as exc:  # thrown in by the driver: the auth flow decides
            thrown = exc


class _Call:
    """One call's state as its tries go by: the current request, counts, the deadline."""

    __slots__ = (
        "attempt", "authorizes", "credential_params", "deadline", "hops", "observers",
        "origin", "prepare", "prepared", "reauthorized", "request", "settings", "waited",
    )  # fmt: skip

    def __init__(self, request: Request, settings: CallSettings) -> None:
        clock, auth = settings.clock, settings.auth
        self.request, self.settings, self.prepared = request, settings, request
        self.deadline = None if settings.timeout.total is None else clock() + settings.timeout.total
        self.attempt = self.hops = 0
        self.reauthorized = self.waited = False
        self.observers = _observers(settings)
        # Credentials go only to their origin: ``authorizes`` says whether this hop is on it.
        self.origin, self.authorizes = settings.auth_origin, False
        self.credential_params = _NO_PARAMS
        self.prepare: Callable[[Request], Generator[Effect, Any, Request]] = _no_auth
        if auth is not None:
            self.prepare = _prepare_of(auth)
            self.credential_params = auth.credential_params
            self.origin = origin = self.origin or origin_of(request.url)
            prefix = settings.auth_prefix
            self.authorizes = (prefix is not None and request.url.startswith(prefix)) or (
                origin_of(request.url) == origin
            )

    def hop(self, follow: Request) -> None:
        """The next request of the try is ``follow`` (a redirect's target)."""
        self.hops += 1
        self.authorizes = self.authorizes and origin_of(follow.url) == self.origin
        self.request = follow

    def may_reauthorize(self) -> bool:
        """Whether a 401 here may be answered by refreshing credentials (once per call)."""
        return self.authorizes and not self.reauthorized and self.settings.auth is not None

    def timeout_now(self) -> Timeouts:
        """This attempt's time limits, narrowed to what is left of the deadline.

        Until something waits, only microseconds of the deadline are gone: the first
        attempt gets the limits as configured, whose transport objects are cached.
        """
        if self.waited or self.attempt > 1:
            return narrowed(self.settings.timeout, self.remaining())
        return self.settings.timeout

    def remaining(self) -> float | None:
        """Seconds left before the deadline (None: no deadline); ``Timeout`` if none are."""
        if self.deadline is None:
            return None
        remaining = self.deadline - self.settings.clock()
        if remaining <= 0:
            raise Timeout("the call's total time limit passed")
        return remaining

    def fits(self, delay: float) -> bool:
        """Whether a wait of ``delay`` seconds ends before the deadline."""
        return self.deadline is None or self.settings.clock() + delay < self.deadline

    def annotate(self, error: APIError) -> None:
        """Give ``error`` the redacted request and the attempts; take the secrets out."""
        settings = self.settings
        if error.request is None:
            error.request = redacted_request(self.request, settings.safe_params)
        error.attempts = self.attempt
        if settings.auth is not None:
            error._scrub(secret_spellings(secrets_of(settings.auth)))
        if error.__suppress_context__:  # raised "from None": what it replaced stays behind
            error.__context__ = None

    def log_retry(self, cause: object, retries_done: int, delay: float) -> None:
        """One INFO line for a retry (URL redacted)."""
        request, settings = self.request, self.settings
        settings.logger.info(
            "%s %s got %s; retry %d of %d in %.2fs",
            request.method,
            redact_url(request.url, settings.safe_params),
            cause,
            retries_done,
            settings.retry.max_retries,
            delay,
        )

    def log_pause(self, pause: float, why: str) -> None:
        """A line for a wait the server's limit asks for: INFO for a pause, DEBUG for pacing."""
        request, settings = self.request, self.settings
        pacing = why == "pacing"
        settings.logger.log(
            logging.DEBUG if pacing else logging.INFO,
            "%s %s waits %.1fs: %s",
            request.method,
            redact_url(request.url, settings.safe_params),
            pause,
            "paced by the server's remaining quota"
            if pacing
            else "the server's rate limit (all callers wait)",
        )


def _observers(settings: CallSettings) -> Observers:
    """The call's observers: the client's, and a DEBUG log of attempts when it is on."""
    observers = settings.observers
    if settings.logger.isEnabledFor(logging.DEBUG):
        observers = (*observers, _AttemptLog(settings))
    return Observers(observers, settings.clock) if observers else _NO_OBSERVERS


class _AttemptLog:
    """The DEBUG line for each attempt: method, redacted URL, outcome, milliseconds, number."""

    def __init__(self, settings: CallSettings) -> None:
        self._settings = settings
        self._attempts = 0

    def attempt_started(self, request: Request) -> None:
        if not isinstance(request, TokenRequest):
            self._attempts += 1

    def attempt_ended(
        self,
        request: Request,
        response: Response | None,
        error: BaseException | None,
        duration: float,
    ) -> None:
        outcome = response.status if response is not None else type(error).__name__
        self._settings.logger.debug(
            "%s %s -> %s in %.1f ms (attempt %s)",
            request.method,
            redact_url(request.url, self._settings.safe_params),
            outcome,
            duration * 1000.0,
            "token" if isinstance(request, TokenRequest) else self._attempts,
        )


def _prepare_of(auth: Auth) -> Callable[[Request], Generator[Effect, Any, Request]]:
    """The auth's ``prepare`` generator, or one made from a plain ``apply``."""
    prepare = getattr(auth, "prepare", None)
    if prepare is not None:
        return prepare  # type: ignore[no-any-return]

    def from_apply(request: Request) -> Generator[Effect, Any, Request]:
        return auth.apply(request)
        yield  # pragma: no cover - makes this a generator

    return from_apply


def _no_auth(request: Request) -> Generator[Effect, Any, Request]:
    return request
    yield  # pragma: no cover - makes this a generator


def _on_unauthorized(
    auth: Auth | None, request: Request, response: Response
) -> Generator[Effect, Any, bool]:
    handler = getattr(auth, "on_unauthorized", None)
    if handler is None:
        return False
    return (yield from handler(request, response))  # type: ignore[no-any-return]
