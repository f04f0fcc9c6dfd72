"""The per-call loop, written once and free of I/O.

Theory of operation: ``exchange`` is a generator. It yields *effects* (``Acquire`` a rate
limiter, ``Send`` a request, ``Sleep`` before a retry, ``Pause`` a shared limiter) and
receives their results; a driver performs them. The sync client drives it with
``transport.send`` and ``time.sleep``, an async client with ``await``; a test drives it
with ``next()``/``send()`` and no clock at all.

One call is: wait out any pause the server asked for (the throttle), wait for the limiter,
apply auth (only on the client's own origin), send, then
either follow a redirect, wait and retry, or return the final response. Every wait counts
against the call's deadline (``Timeouts.total``); a wait that would pass it is not started.
Transport errors are thrown into the generator, which retries them or re-raises them
annotated with the redacted request and the attempt count.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any, Protocol

from apiclient.auth.base import Auth, secrets_of
from apiclient.effects import Acquire, Effect, Pausable, Pause, Send, Sleep, SupportsAcquire
from apiclient.errors import APIError, RateExceededError, Timeout, TransportError
from apiclient.models import Request, Response
from apiclient.policies.redirects import RedirectPolicy
from apiclient.policies.retries import RetryPolicy
from apiclient.policies.timeouts import Timeouts, narrowed
from apiclient.policies.urls import origin_of
from apiclient.redaction import redact_url, redacted_request, secret_spellings

log: logging.Logger = logging.getLogger("apiclient")


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
    #: Called with each attempt's request before auth is applied, and with its response.
    on_request: tuple[Callable[[Request], object], ...] = ()
    on_response: tuple[Callable[[Request, Response], object], ...] = ()
    #: Leave the final response's body unread (``response.stream``) for the caller.
    stream: bool = False


def exchange(request: Request, settings: CallSettings) -> Exchange:
    """Run one logical call of ``request`` to its final response (see the module docstring)."""
    clock, retry, auth, throttle = settings.clock, settings.retry, settings.auth, settings.throttle
    deadline = None if settings.timeout.total is None else clock() + settings.timeout.total
    attempt, retries_done, hops, reauthorized, waited = 0, 0, 0, False, False
    debug = log.isEnabledFor(logging.DEBUG)
    # Credentials go only to their origin: ``on_origin`` says whether this hop is on it.
    prepare = _prepare_of(auth) if auth is not None else None
    origin, on_origin, credential_params = settings.auth_origin, False, _NO_PARAMS
    if auth is not None:
        credential_params = auth.credential_params
        origin = origin or origin_of(request.url)
        prefix = settings.auth_prefix
        on_origin = (prefix is not None and request.url.startswith(prefix)) or (
            origin_of(request.url) == origin
        )
    while True:
        attempt += 1
        try:
            if throttle is not None and (pause := throttle.wait()) > 0:
                if pause > retry.max_retry_after or not _fits(pause, deadline, clock):
                    raise RateExceededError(
                        "the server asked every caller to wait", retry_after=pause
                    )
                log.info(
                    "%s %s waits %.1fs: the server's rate limit (all callers wait)",
                    request.method,
                    redact_url(request.url, settings.safe_params),
                    pause,
                )
                yield Sleep(pause)
                waited = True
            if settings.limiter is not None:
                yield Acquire(settings.limiter, _remaining(deadline, clock))
                waited = True
            # Until something waits, only microseconds of the deadline are gone: the first
            # attempt gets the limits as configured, whose transport objects are cached.
            timeout = (
                narrowed(settings.timeout, _remaining(deadline, clock))
                if waited or attempt > 1
                else settings.timeout
            )
            for hook in settings.on_request:
                hook(request)
            prepared = (
                (yield from prepare(request)) if prepare is not None and on_origin else request
            )
            started = clock() if debug else 0.0
            response: Response = yield Send(
                prepared, timeout, settings.max_body_bytes, settings.stream
            )
            for response_hook in settings.on_response:
                response_hook(request, response)
            response.url = request.url  # as built: no credential the auth put in the query
            response.request = request
            if (
                throttle is not None
                and (asked := throttle.observe(response))
                and throttle.limiter is not None
            ):
                yield Pause(throttle.limiter, asked)  # a shared limiter: maybe I/O
            if debug:
                _log_attempt(request, settings, response.status, clock() - started, attempt)
            if response.status == 401 and prepare is not None and on_origin and not reauthorized:
                reauthorized = True
                if (yield from _on_unauthorized(auth, prepared, response)):
                    response.close()
                    continue  # refreshed once: send the same request again
            if response.status < 300 and retry.successes_are_final:
                # The common case, decided without asking the policies: redirects are 3xx,
                # and this retry policy never retries a success.
                response.attempts = attempt
                return response
            follow = settings.redirect.next_request(request, response, hops, credential_params)
        except APIError as error:
            _annotate(error, request, settings, attempt)
            if debug and isinstance(error, TransportError):
                _log_attempt(request, settings, type(error).__name__, 0.0, attempt)
            if not isinstance(error, TransportError):
                raise
            delay = retry.delay_after_error(request, error, retries_done)
            if delay is None or not _fits(delay, deadline, clock):
                raise
            cause: object = type(error).__name__
        else:
            if follow is not None:
                response.close()
                hops += 1
                on_origin = on_origin and origin_of(follow.url) == origin
                request = follow
                continue
            delay = retry.delay_after_response(request, response, retries_done)
            if delay is None or not _fits(delay, deadline, clock):
                response.attempts = attempt
                return response
            response.close()  # a streamed body we will not read goes back now
            cause = response.status
        retries_done += 1
        log.info(
            "%s %s got %s; retry %d of %d in %.2fs",
            request.method,
            redact_url(request.url, settings.safe_params),
            cause,
            retries_done,
            retry.max_retries,
            delay,
        )
        yield Sleep(delay)


def _prepare_of(auth: Auth) -> Callable[[Request], Generator[Effect, Any, Request]]:
    """The auth's ``prepare`` generator, or one made from a plain ``apply``."""
    prepare = getattr(auth, "prepare", None)
    if prepare is not None:
        return prepare  # type: ignore[no-any-return]

    def from_apply(request: Request) -> Generator[Effect, Any, Request]:
        return auth.apply(request)
        yield  # pragma: no cover - makes this a generator

    return from_apply


def _on_unauthorized(
    auth: Auth | None, request: Request, response: Response
) -> Generator[Effect, Any, bool]:
    handler = getattr(auth, "on_unauthorized", None)
    if handler is None:
        return False
    return (yield from handler(request, response))  # type: ignore[no-any-return]


def _remaining(deadline: float | None, clock: Callable[[], float]) -> float | None:
    if deadline is None:
        return None
    remaining = deadline - clock()
    if remaining <= 0:
        raise Timeout("the call's total time limit passed")
    return remaining


def _fits(delay: float, deadline: float | None, clock: Callable[[], float]) -> bool:
    return deadline is None or clock() + delay < deadline


def _annotate(error: APIError, request: Request, settings: CallSettings, attempt: int) -> None:
    if error.request is None:
        error.request = redacted_request(request, settings.safe_params)
    error.attempts = attempt
    if settings.auth is not None:
        error._scrub(secret_spellings(secrets_of(settings.auth)))
    if error.__suppress_context__:  # raised "from None": what it replaced stays behind
        error.__context__ = None


def _log_attempt(
    request: Request, settings: CallSettings, outcome: object, seconds: float, attempt: int
) -> None:
    log.debug(
        "%s %s -> %s in %.1f ms (attempt %d)",
        request.method,
        redact_url(request.url, settings.safe_params),
        outcome,
        seconds * 1000.0,
        attempt,
    )
