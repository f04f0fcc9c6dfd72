"""The exception tree. Only these escape a client; each says what happened, to what, and when.

    APIError
     +-- HTTPStatusError        .status .response .request .body .code .detail .retry_after
     |    +-- ClientError       4xx: BadRequest, Unauthorized, Forbidden, NotFound,
     |    |                     MethodNotAllowed, Conflict, Gone, UnprocessableEntity,
     |    |                     TooManyRequests
     |    +-- ServerError       5xx: InternalServerError, BadGateway, ServiceUnavailable,
     |                          GatewayTimeout
     +-- TransportError         .may_have_been_processed
     |    +-- ConnectError      nothing was sent (refused, DNS, TLS handshake)
     |    |    +-- TLSError     CertificateError: verification failed (never retried)
     |    +-- Timeout           ConnectTimeout (also a ConnectError), ReadTimeout, PoolTimeout
     |    +-- ProtocolError     the connection broke or the server spoke malformed HTTP
     +-- RedirectError          a redirect that is refused; TooManyRedirects
     +-- PaginationError        a next-page link to another origin, or a runaway walk
     +-- ResponseTooLarge       the body passed ``max_body_bytes``
     +-- DecodeError            the body does not parse as its content type says
     |    +-- ValidationError   ... or does not fit the call's model= (.model .path)
     +-- GraphQLError           a GraphQL response with errors (.errors .data .code .path)
     +-- AuthError              a token could not be fetched or refreshed
     +-- RateExceededError      a rate limit would not let the request go in the time allowed
     |    +-- InFlightLimitReached  no request slot (max_in_flight) came free in time
     +-- RateLimiterUnavailable the shared limiter's Redis could not be reached

Every error carries ``request`` (a copy with credentials redacted), ``attempts`` and
``retry_after`` where known. Their text, args, repr and pickles never hold a secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from apiclient.models import Headers, Request, Response
from apiclient.redaction import scrub, scrub_bytes, scrub_value


class APIError(Exception):
    """Base class of every error apiclient raises.

    Attributes:
        message: what went wrong, in words (``str(error)`` adds the request and attempt:
            ``404 Not Found: no such user (GET https://api.example/users/9, attempt 1)``).
            A subclass with a field of its own should not name it ``message``.
        request: the request, credentials redacted, no body (None before one was made).
        attempts: how many attempts the call made.
        retry_after: seconds the server (or a limiter) asked to wait, when it said.
    """

    def __init__(
        self,
        message: str = "",
        *,
        request: Request | None = None,
        attempts: int = 0,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message: str = message
        self.request: Request | None = request
        self.attempts: int = attempts
        self.retry_after: float | None = retry_after

    #: Whether the server may have acted on the request (False only when provably not sent).
    may_have_been_processed = True

    def __str__(self) -> str:
        where = ""
        if self.request is not None:
            where = f" ({self.request.method} {self.request.url}"
            where += f", attempt {self.attempts})" if self.attempts else ")"
        if self.retry_after is not None:
            where += f" retry after {self.retry_after:g}s"
        return f"{self.message}{where}"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (type(self), self.__dict__.copy()))

    def _scrub(self, spellings: tuple[str, ...]) -> None:
        """Replace the client's own secrets in what the error keeps of the server's words."""
        if spellings:
            self.message = scrub(self.message, spellings)
            Exception.__init__(self, self.message)  # its args: the text without the secret


def _rebuild(cls: type[APIError], state: dict[str, Any]) -> APIError:
    """Unpickle an error without calling its constructor (whose signature varies)."""
    error = cls.__new__(cls)
    Exception.__init__(error, state.get("message", ""))
    error.__dict__.update(state)
    return error


_E = TypeVar("_E", bound="HTTPStatusError")
_UNREAD: Any = object()


class HTTPStatusError(APIError):
    """The server answered with an error status (4xx or 5xx).

    ``body`` is the decoded error body; ``code`` the API's own error code found in it
    (``"object_not_found"``), ``detail`` the server's message (at most 200 characters,
    secrets scrubbed), which the error's text also shows: ``404 Not Found: no such user``.
    """

    def __init__(
        self,
        response: Response,
        *,
        request: Request | None = None,
        body: Any = None,
        attempts: int = 0,
        retry_after: float | None = None,
        code: str | None = None,
        detail: str | None = None,
    ) -> None:
        reason = f" {response.reason}" if response.reason else ""
        super().__init__(
            f"{response.status}{reason}{f': {detail}' if detail else ''}",
            request=request,
            attempts=attempts,
            retry_after=retry_after,
        )
        self.response = response
        self.status: int = response.status
        #: The decoded error body (JSON value, text or bytes), or None when empty.
        self.body: Any = body
        #: The API's own error code, when its body gives one (a subclass may keep an int).
        self.code: str | int | None = code
        #: The server's message, when its body gives one.
        self.detail = detail

    @classmethod
    def from_error(cls: type[_E], cause: HTTPStatusError, message: str | None = None) -> _E:
        """The same error as ``cause``, as an instance of ``cls`` (an API's own error class).

        For ``_raise_for_status`` overrides that turn an API's error object into a typed
        exception: ``raise MyAPIError.from_error(error, f"{code}: {text}") from None``.
        """
        error = cls.__new__(cls)
        Exception.__init__(error, message if message is not None else cause.message)
        error.__dict__.update(cause.__dict__)
        if message is not None:
            error.message = message
        return error

    def _scrub(self, spellings: tuple[str, ...]) -> None:
        super()._scrub(spellings)
        if not spellings:
            return
        self.body = scrub_value(self.body, spellings)
        response = self.response
        if response.stream is None:
            response.data = scrub_bytes(response.data, spellings)
        response.reason = scrub(response.reason, spellings)
        if self.detail is not None:
            self.detail = scrub(self.detail, spellings)
        response.headers = Headers(
            (name, scrub(value, spellings)) for name, value in response.headers.items()
        )


class ClientError(HTTPStatusError):
    """A 4xx status: the request was wrong and repeating it unchanged will not help."""


class BadRequest(ClientError):
    """400 Bad Request."""


class Unauthorized(ClientError):
    """401 Unauthorized: missing or rejected credentials."""


class Forbidden(ClientError):
    """403 Forbidden."""


class NotFound(ClientError):
    """404 Not Found."""


class MethodNotAllowed(ClientError):
    """405 Method Not Allowed."""


class Conflict(ClientError):
    """409 Conflict."""


class Gone(ClientError):
    """410 Gone."""


class UnprocessableEntity(ClientError):
    """422 Unprocessable Entity: the server understood but rejected the content."""


class TooManyRequests(ClientError):
    """429 Too Many Requests; ``retry_after`` says how long the server asked to wait."""


class ServerError(HTTPStatusError):
    """A 5xx status: the server failed."""


class InternalServerError(ServerError):
    """500 Internal Server Error."""


class BadGateway(ServerError):
    """502 Bad Gateway."""


class ServiceUnavailable(ServerError):
    """503 Service Unavailable."""


class GatewayTimeout(ServerError):
    """504 Gateway Timeout."""


STATUS_ERRORS: dict[int, type[HTTPStatusError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    405: MethodNotAllowed,
    409: Conflict,
    410: Gone,
    422: UnprocessableEntity,
    429: TooManyRequests,
    500: InternalServerError,
    502: BadGateway,
    503: ServiceUnavailable,
    504: GatewayTimeout,
}


def error_class_for(status: int) -> type[HTTPStatusError]:
    """The most specific error class for an error ``status``."""
    specific = STATUS_ERRORS.get(status)
    if specific is not None:
        return specific
    return ClientError if status < 500 else ServerError


def _decoded_or_text(response: Response, encoding: str) -> Any:
    """An error body, decoded by its content type, or as text when it does not decode."""
    from apiclient.policies.decoding import decode_body

    try:
        return decode_body(response, encoding)
    except DecodeError:
        return response.text


def _declared(
    errors: Mapping[str | int, type[HTTPStatusError]] | None, code: str | None, status: int
) -> type[HTTPStatusError] | None:
    """The class ``errors`` declares for the API's ``code``, else for the ``status``."""
    if not errors:
        return None
    return (errors.get(code) if code is not None else None) or errors.get(status)


def http_error_for(
    response: Response,
    body: Any = _UNREAD,
    *,
    errors: Mapping[str | int, type[HTTPStatusError]] | None = None,
    code: str | None = None,
    encoding: str = "utf-8",
    safe_params: frozenset[str] | None = None,
) -> HTTPStatusError:
    """The typed error for an error ``response`` (4xx/5xx), as a client raises it.

    ``body`` is the decoded body (decoded here when not given); ``errors`` maps the API's
    error codes and statuses to classes (a client's ``ERRORS``); ``code`` is the code found
    in the body (read with the common shapes when not given). The request is redacted
    (``safe_params``: the query parameters whose values may show; default the usual ones).
    """
    from apiclient.defaults import SAFE_QUERY_PARAMS
    from apiclient.policies.error_bodies import error_code, error_message
    from apiclient.policies.ratelimit_headers import retry_after_seconds
    from apiclient.redaction import redacted_request

    if body is _UNREAD:
        body = _decoded_or_text(response, encoding)
    if code is None:
        code = error_code(body)
    cls = _declared(errors, code, response.status) or error_class_for(response.status)
    request = response.request
    if request is not None:
        request = redacted_request(request, safe_params or SAFE_QUERY_PARAMS)
    return cls(
        response,
        request=request,
        body=body,
        attempts=response.attempts,
        retry_after=retry_after_seconds(response.headers),
        code=code,
        detail=error_message(body),
    )


class TransportError(APIError):
    """The exchange itself failed: no complete response was received."""

    #: Whether trying again may succeed (a dropped connection may; a bad certificate won't).
    transient = True


class ConnectError(TransportError):
    """No connection could be made, so nothing was sent."""

    may_have_been_processed = False


class TLSError(ConnectError):
    """The TLS handshake failed (for example, an untrusted or mismatched certificate)."""


class CertificateError(TLSError):
    """The server's certificate failed verification (untrusted, expired, another host).

    Deterministic: the same certificate fails again, so it is never retried.
    """

    transient = False


class Timeout(TransportError):
    """A time limit passed: connect, read, waiting for a pooled connection, or the deadline."""


class ConnectTimeout(ConnectError, Timeout):
    """The connection was not established in time; nothing was sent."""

    may_have_been_processed = False


class ReadTimeout(Timeout):
    """The server did not answer in time after the request was sent."""


class PoolTimeout(Timeout):
    """No pooled connection became free in time; nothing was sent."""

    may_have_been_processed = False


class ProtocolError(TransportError):
    """The connection dropped mid-exchange, or the server sent malformed HTTP."""


class RedirectError(APIError):
    """A redirect that apiclient refuses to follow (scheme, downgrade, malformed Location)."""


class TooManyRedirects(RedirectError):
    """More redirects than ``max_redirects`` in one call."""


class PaginationError(APIError):
    """A next-page link that is refused (another origin) or a walk past ``MAX_PAGES``."""


class ResponseTooLarge(APIError):
    """The response body is larger than ``max_body_bytes`` (counted after decompression)."""


class DecodeError(APIError):
    """The body could not be decoded as its content type says; ``snippet`` shows its start."""

    def __init__(
        self,
        message: str,
        *,
        status: int = 0,
        snippet: str = "",
        request: Request | None = None,
    ) -> None:
        super().__init__(f"{message}: {snippet!r}" if snippet else message, request=request)
        self.status: int = status
        self.snippet: str = snippet

    def _scrub(self, spellings: tuple[str, ...]) -> None:
        super()._scrub(spellings)
        self.snippet = scrub(self.snippet, spellings)


class ValidationError(DecodeError):
    """The body parsed, but does not fit the ``model`` the call asked for.

    ``model`` is that type, ``path`` where the body departs from it (``$.owner.id``) and
    ``reason`` how (``expected integer, got string``); ``snippet`` shows the body's start.
    """

    def __init__(
        self,
        model: Any,
        path: str,
        reason: str,
        *,
        status: int = 0,
        snippet: str = "",
        request: Request | None = None,
    ) -> None:
        from apiclient.decoders import type_name

        super().__init__(
            f"the {status or ''} response does not fit {type_name(model)} at {path}: {reason}",
            status=status,
            snippet=snippet,
            request=request,
        )
        self.model = model
        self.path = path
        self.reason = reason


class GraphQLError(APIError):
    """A GraphQL response carried ``errors`` (in a 200, as GraphQL servers answer).

    ``errors`` is the list as sent; ``data`` what the server did return (often partial);
    ``path``, ``code`` (``extensions.code``, or GitHub's ``type``) and ``locations`` are
    the first error's. ``response`` is the whole response.
    """

    def __init__(
        self,
        message: str,
        *,
        errors: list[Any],
        data: Any = None,
        response: Response | None = None,
        request: Request | None = None,
    ) -> None:
        super().__init__(message, request=request)
        self.errors: list[Any] = errors
        self.data: Any = data
        self.response = response
        first = errors[0] if errors and isinstance(errors[0], Mapping) else {}
        extensions = first.get("extensions")
        extensions = extensions if isinstance(extensions, Mapping) else {}
        self.path: list[Any] | None = first.get("path")
        self.locations: list[Any] | None = first.get("locations")
        self.extensions: Mapping[str, Any] = extensions
        code = extensions.get("code", first.get("type"))
        self.code: str | None = code if isinstance(code, str) else None

    def _scrub(self, spellings: tuple[str, ...]) -> None:
        super()._scrub(spellings)
        if spellings:
            self.errors = scrub_value(self.errors, spellings)
            self.data = scrub_value(self.data, spellings)


class AuthError(APIError):
    """Credentials could not be obtained: a token endpoint refused or failed.

    ``error`` is the OAuth error code when the server gave one (``invalid_grant``...).
    """

    def __init__(self, message: str, *, error: str | None = None, status: int = 0) -> None:
        super().__init__(message)
        self.error = error
        self.status = status


class WebhookVerificationError(APIError):
    """A webhook whose signature, timestamp or headers do not check out: refuse it.

    Raised by ``apiclient.webhooks.verify``; the message names no secret or signature.
    """


class RateExceededError(APIError):
    """A rate limiter could not grant in time; ``retry_after`` says how long it would take.

    Nothing was sent: the limit (the limiter's, or the server's pause or pacing) refused
    before the request went on the wire.
    """

    may_have_been_processed = False


class InFlightLimitReached(RateExceededError):
    """No request slot (``max_in_flight``) came free within the caller's time budget."""


class SharedStateError(APIError):
    """The store shared by a fleet (Redis) failed: see the two kinds below."""

    may_have_been_processed = False  # raised before the request was sent


class RateLimiterUnavailable(SharedStateError):
    """A shared store (Redis) could not be reached in time: down, restarting, too slow.

    Transient by nature; a ``fallback=`` limiter is used only for this kind.
    """


class RateLimiterMisconfigured(SharedStateError):
    """A shared store answered but refused the work: a setup error that waiting won't fix.

    A read-only replica, a Cluster node reached without cluster mode, a key holding another
    program's data, Redis out of memory, an ACL or password refusal. Never hidden behind a
    fallback.
    """


class RateLimitConfigMismatch(RateLimiterMisconfigured):
    """Two limiters share a Redis key with different limits; each would undo the other's.

    ``.stored`` and ``.mine`` describe both configurations (e.g. ``"5/3600s"``).
    """

    def __init__(self, message: str, *, stored: str, mine: str) -> None:
        super().__init__(message)
        self.stored = stored
        self.mine = mine
