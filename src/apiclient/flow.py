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
from typing import Any, Protocol, TypeVar

from apiclient.auth.base import Auth, secrets_of
from apiclient.effects import Acquire, Effect, Pausable, Pause, Send, Sleep, SupportsAcquire, Wait
from apiclient.errors import APIError, RateExceededError, Timeout, TransportError
from apiclient.models import Request, Response
from apiclient.observers import Observers, TokenRequest
from apiclient.policies.redirects import RedirectPolicy
from apiclient.policies.retries import RetryPolicy
from apiclient.policies.timeouts import Timeouts, narrowed
from apiclient.policies.urls import origin_of
from apiclient.redaction import redact_url, redacted_request, secret_spellings

log: logging.Logger = logging.getLogger("apiclient")
T = TypeVar("T")


class Throttle(Protocol):
    """A pause shared by a client's callers, fed by the server's responses."""

    @property
    def limiter(self) -> Pausable | None:
        """A limiter to pause too when the server asks for a wait (None: only these callers)."""
        ...

    def observe(self, response: Response) -> float | None:
        """Note any wait the server asks for in ``response``; return it."""
        ...

    def wait(self) -> float:
        """Seconds left before the next request may go."""
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
    """One attempt: its waits, then auth and the exchange on the wire."""
    call.attempt += 1
    yield from _wait_turn(call)
    request, settings = call.request, call.settings
    timeout = call.timeout_now()
    if not call.observers:
        prepared = (yield from call.prepare(request)) if call.authorizes else request
        response: Response = yield Send(
            prepared, timeout, settings.max_body_bytes, settings.stream
        )
    else:
        with call.observers.attempt(request) as outcome:
            prepared = (
                (yield from _observed_auth(call, call.prepare(request)))
                if call.authorizes
                else request
            )
            response = yield Send(prepared, timeout, settings.max_body_bytes, settings.stream)
            outcome.response = response
    call.prepared = prepared
    response.url = request.url  # as built: no credential the auth put in the query
    response.request = request
    throttle = settings.throttle
    if throttle is not None and (asked := throttle.observe(response)) and throttle.limiter:
        yield Pause(throttle.limiter, asked)  # a shared limiter: maybe I/O
    return response


def _wait_turn(call: _Call) -> Generator[Effect, Any, None]:
    """Wait out any pause the server asked for, then the limiter (both within the deadline)."""
    settings = call.settings
    throttle = settings.throttle
    if throttle is not None and (pause := throttle.wait()) > 0:
        if pause > settings.retry.max_retry_after or not call.fits(pause):
            raise RateExceededError("the server asked every caller to wait", retry_after=pause)
        call.log_pause(pause)
        yield Sleep(pause)
        call.waited = True
        call.observers.waited("server", pause)
    if settings.limiter is not None:
        started = settings.clock() if call.observers else 0.0
        yield Acquire(settings.limiter, call.remaining())
        call.waited = True
        if call.observers:
            call.observers.waited("limiter", settings.clock() - started)


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
                if type(effect) is Wait:
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

    def log_pause(self, pause: float) -> None:
        """One INFO line for a pause the server asked for."""
        request, settings = self.request, self.settings
        settings.logger.info(
            "%s %s waits %.1fs: the server's rate limit (all callers wait)",
            request.method,
            redact_url(request.url, settings.safe_params),
            pause,
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
