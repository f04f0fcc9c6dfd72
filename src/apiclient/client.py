"""``APIClient``: subclass it, set ``BASE_URL``, add methods. The seed's API, on the core.

The seed's two hooks keep their meaning and sit on the real path of every call:
``_compose_url(path, params=None)`` builds the full URL, and ``_handle_response(response)``
turns the final response into the return value. Before ``_handle_response`` runs, an error
status (4xx/5xx) is raised as a typed ``HTTPStatusError`` by ``_raise_for_status``, a third
hook for APIs that report errors their own way.
"""

from __future__ import annotations

import json as jsonlib
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar, TypedDict

from apiclient import driver
from apiclient._version import __version__
from apiclient.auth.base import Auth
from apiclient.auth.keys import APIKey
from apiclient.cache import ETagCache
from apiclient.defaults import (
    IDEMPOTENCY_HEADER,
    MAX_BODY_BYTES,
    MAX_REDIRECTS,
    MAX_RETRIES,
    POOL_MAXSIZE,
    SAFE_HEADERS,
    SAFE_QUERY_PARAMS,
)
from apiclient.effects import SupportsAcquire
from apiclient.errors import DecodeError, PaginationError, error_class_for
from apiclient.flow import CallSettings, Exchange, exchange, redact_request
from apiclient.models import Headers, Request, Response
from apiclient.multipart import FileSpec, MultipartBody
from apiclient.pagination import Paginated
from apiclient.policies.decoding import decode_body
from apiclient.policies.pagination import LinkHeader, Paginator
from apiclient.policies.ratelimit_headers import retry_after_seconds
from apiclient.policies.redirects import RedirectPolicy
from apiclient.policies.retries import RetryPolicy
from apiclient.policies.timeouts import TimeoutLike, Timeouts
from apiclient.policies.urls import BaseURL, Params, add_query, encode_params, origin_of
from apiclient.policies.validation import check_headers, check_method, check_url_text
from apiclient.ratelimit.adaptive import AdaptiveThrottle
from apiclient.ratelimit.base import Limiter
from apiclient.redaction import redact_url
from apiclient.streaming import StreamedResponse
from apiclient.transports.base import Transport

if TYPE_CHECKING:
    from typing_extensions import Unpack


RequestHook = Callable[[Request], object]
ResponseHook = Callable[[Request, Response], object]


class _Unset(Enum):
    UNSET = 0


UNSET = _Unset.UNSET


class RequestOptions(TypedDict, total=False):
    """Keyword arguments every verb accepts (see ``APIClient.request``)."""

    params: Params | None
    json: Any
    data: Mapping[str, Any] | bytes | str | None
    files: Mapping[str, FileSpec] | None
    headers: Mapping[str, str] | None
    timeout: TimeoutLike | _Unset
    retries: RetryPolicy | int | _Unset
    max_body_bytes: int | None
    idempotency_key: str | None
    raw: bool


class APIClient:
    """Base class for an API client library.

    Args:
        rate_limit_lock: any object with ``acquire()`` (e.g. ``RateLimiter``), acquired before
            every attempt that goes on the wire, retries included.
        encoding: text encoding for bodies that do not declare a charset (seed: ``'utf8'``).
        base_url: overrides the class's ``BASE_URL`` (e.g. to point at a local fake).
        auth: an auth object (``APIKey``, ``BasicAuth``, ``BearerToken``...).
        timeout: a ``Timeouts``, a number of seconds (connect and read) or a pair;
            ``None`` disables every limit. Default: ``Timeouts()`` (10 s, 30 s, 120 s total).
        retries: a ``RetryPolicy`` or a number of retries (default 3; 0 disables).
        max_redirects: redirects followed per call (default 10; 0 disables following).
        headers: headers added to every request.
        transport: what performs the exchanges (default ``Urllib3Transport``).
        verify: verify TLS certificates (default True; False logs a warning).
        ca_certs: CA bundle that replaces the system trust store.
        pool_maxsize: connections kept per origin (threads beyond it wait for one).
        max_body_bytes: largest response body accepted, after decompression (64 MiB).
        idempotency_keys: mint one ``Idempotency-Key`` per POST/PATCH call (reused by its
            retries), which also makes those calls retryable.
        adaptive_throttle: when a response says "wait" (``Retry-After``, ``X-RateLimit-*``,
            IETF ``RateLimit``), pause every caller of this client (and the limiter's other
            users) until the server says it is safe. On by default.
        cache: an ``ETagCache`` to make GETs conditional (``If-None-Match`` /
            ``If-Modified-Since``); a 304 then returns the cached body.
        on_request, on_response: hooks called on every attempt (retries and redirects
            included): ``on_request(request)`` before credentials are added (it may change
            ``request.headers``), ``on_response(request, response)`` after. For metrics,
            tracing and custom headers; use ``redact_url`` where they print URLs.
        user_agent: the ``User-Agent`` header.
        clock, sleep: monotonic clock and sleep function, injectable for tests.
    """

    BASE_URL: ClassVar[str] = ""
    #: Headers sent with every request (merged under ``headers=``).
    DEFAULT_HEADERS: ClassVar[Mapping[str, str]] = {"Accept": "application/json"}
    #: Extra query parameters whose values may appear in logs and errors.
    LOG_SAFE_PARAMS: ClassVar[frozenset[str]] = frozenset()
    #: How ``paginate`` finds items and next pages when no ``paginator=`` is given.
    PAGINATOR: ClassVar[Paginator] = LinkHeader()

    def __init__(
        self,
        rate_limit_lock: SupportsAcquire | None = None,
        encoding: str = "utf8",
        *,
        base_url: str | None = None,
        auth: Auth | None = None,
        timeout: TimeoutLike = Timeouts(),  # noqa: B008  # immutable value
        retries: RetryPolicy | int = MAX_RETRIES,
        max_redirects: int = MAX_REDIRECTS,
        headers: Mapping[str, str] | None = None,
        transport: Transport | None = None,
        verify: bool = True,
        ca_certs: str | None = None,
        pool_maxsize: int = POOL_MAXSIZE,
        max_body_bytes: int = MAX_BODY_BYTES,
        idempotency_keys: bool = False,
        adaptive_throttle: bool = True,
        cache: ETagCache | None = None,
        on_request: RequestHook | Iterable[RequestHook] = (),
        on_response: ResponseHook | Iterable[ResponseHook] = (),
        user_agent: str | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate_limit_lock = rate_limit_lock
        self.encoding = encoding
        self.base_url = base_url or self.BASE_URL
        self._base = BaseURL.parse(self.base_url)
        self.auth = auth
        self.timeout = Timeouts.coerce(timeout)
        self.retries = RetryPolicy.coerce(retries)
        self.max_redirects = max_redirects
        self.idempotency_keys = idempotency_keys
        self.headers = Headers(self.DEFAULT_HEADERS)
        self.headers["User-Agent"] = user_agent or f"apiclient/{__version__}"
        if headers:
            self.headers.update(headers)
        check_headers(self.headers.items())
        self._sleep = sleep
        self.cache = cache
        self._safe_params = SAFE_QUERY_PARAMS | self.LOG_SAFE_PARAMS
        limiter = rate_limit_lock if isinstance(rate_limit_lock, Limiter) else None
        self.throttle = AdaptiveThrottle(clock, limiter=limiter) if adaptive_throttle else None
        self._settings = CallSettings(
            retry=self.retries,
            redirect=RedirectPolicy(max_redirects),
            timeout=self.timeout,
            max_body_bytes=max_body_bytes,
            clock=clock,
            auth=auth,
            limiter=rate_limit_lock,
            throttle=self.throttle,
            safe_params=self._safe_params,
            auth_origin=self._base.origin,
            on_request=_hooks(on_request),
            on_response=_hooks(on_response),
        )
        if transport is None:
            from apiclient.transports.urllib3 import Urllib3Transport

            transport = Urllib3Transport(
                pool_maxsize=pool_maxsize, verify=verify, ca_certs=ca_certs
            )
        self.transport = transport

    # -- the seed's API -------------------------------------------------------------------

    def call(self, path: str, params: Params | None = None, **more_params: Any) -> Any:
        """GET ``path`` with query parameters and return the decoded body (the seed's call).

        ``api.call('/echo', ping='pong')`` and ``api.call('/echo', params={'ping': 'pong'})``
        are the same request.
        """
        if params is not None and more_params:
            merged = dict(params.items() if isinstance(params, Mapping) else params)
            params = {**merged, **more_params}
        return self.request("GET", path, params=params if params is not None else more_params)

    def _compose_url(self, path: str, params: Params | None = None) -> str:
        """Seed hook: the absolute URL for ``path`` under ``BASE_URL``, with ``params``."""
        url = self._base.join(path)
        return add_query(url, encode_params(params)) if params else url

    def _handle_response(self, response: Response) -> Any:
        """Seed hook: turn a successful response into the value a call returns.

        The default decodes by content type: JSON to Python values, ``text/*`` to ``str``,
        anything else to ``bytes``, an empty body to ``None``.
        """
        return decode_body(response, self.encoding)

    def _raise_for_status(self, response: Response, request: Request) -> None:
        """Raise the typed ``HTTPStatusError`` for a 4xx/5xx response; do nothing otherwise."""
        if response.status < 400:
            return
        try:
            body = decode_body(response, self.encoding)
        except DecodeError:
            body = response.text
        redacted = redact_request(request, self._safe_params)
        response.url = redacted.url  # the error may be logged or pickled: no secrets in it
        raise error_class_for(response.status)(
            response,
            request=redacted,
            body=body,
            attempts=response.attempts,
            retry_after=retry_after_seconds(response.headers, self.retries.wall_clock),
        )

    def _request(self, method: str, path: str, params: Params | None = None) -> Any:
        """The seed's internal entry point, kept for subclasses that call it."""
        return self.request(method, path, params=params)

    # -- verbs ----------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
        data: Mapping[str, Any] | bytes | str | None = None,
        files: Mapping[str, FileSpec] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: TimeoutLike | _Unset = UNSET,
        retries: RetryPolicy | int | _Unset = UNSET,
        max_body_bytes: int | None = None,
        idempotency_key: str | None = None,
        raw: bool = False,
    ) -> Any:
        """Send ``method path`` and return the decoded body (or the ``Response`` if ``raw``).

        ``json`` sends a JSON body; ``data`` a form (mapping) or raw bytes/str; ``files``
        a ``multipart/form-data`` upload (with ``data`` as its fields), streamed from disk
        (see ``apiclient.multipart``). ``timeout``,
        ``retries`` and ``max_body_bytes`` override the client's for this call.
        ``idempotency_key`` sets the ``Idempotency-Key`` header, making a POST retryable.
        With ``raw=True`` the final ``Response`` is returned whatever its status; otherwise
        an error status raises and ``_handle_response`` makes the return value.
        """
        url = self._compose_url(path, params)
        request = self._build_request(method, url, json, data, headers, idempotency_key, files)
        response = self._send(request, timeout, retries, max_body_bytes)
        if raw:
            return response
        self._raise_for_status(response, request)
        return self._handle_response(response)

    def stream(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
        data: Mapping[str, Any] | bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: TimeoutLike | _Unset = UNSET,
        retries: RetryPolicy | int | _Unset = UNSET,
        max_body_bytes: int | None = None,
    ) -> StreamedResponse:
        """Send a request and return its response with the body still unread.

        Use it as a context manager; ``iter_bytes()`` or ``save(path, progress=...)`` read
        the body in bounded memory. An error status raises as usual (with the error body).
        Redirects, retries, auth and rate limiting apply as for any call. ``timeout.total``
        bounds the wait for the response's headers; the body is then read at the caller's
        pace, each read bounded by ``timeout.read``.
        """
        url = self._compose_url(path, params)
        request = self._build_request(method, url, json, data, headers, None)
        response = self._exchange(request, timeout, retries, max_body_bytes, stream=True)
        if response.status >= 400:
            response.data = StreamedResponse(response).read()
            response.stream = None
            self._raise_for_status(response, request)
        return StreamedResponse(response)

    def paginate(
        self,
        path: str,
        params: Params | None = None,
        *,
        paginator: Paginator | None = None,
        max_pages: int | None = None,
        max_items: int | None = None,
        follow_other_origins: bool = False,
        headers: Mapping[str, str] | None = None,
        timeout: TimeoutLike | _Unset = UNSET,
        retries: RetryPolicy | int | _Unset = UNSET,
    ) -> Paginated:
        """Iterate lazily over the items of every page of ``GET path``.

        ``paginator`` (default: the class's ``PAGINATOR``, RFC 8288 ``Link`` headers) finds
        each page's items and the next page; ``.pages()`` on the result yields whole pages.
        ``max_pages`` / ``max_items`` stop early. Rate limiting, retries and auth apply to
        every page. A next-page URL on another origin raises ``PaginationError`` unless
        ``follow_other_origins=True``, which fetches it without credentials.
        """
        return Paginated(
            self,
            path,
            params,
            paginator or self.PAGINATOR,
            max_pages=max_pages,
            max_items=max_items,
            follow_other_origins=follow_other_origins,
            options={"headers": headers, "timeout": timeout, "retries": retries},
        )

    def _fetch_page(self, url: str, other_origins: bool, options: Mapping[str, Any]) -> Response:
        """GET one page's absolute URL; credentials go only to this client's origin."""
        check_url_text(url)
        if not url.lower().startswith(("http://", "https://")):
            raise PaginationError("a next-page link must be an http(s) URL")
        request = self._build_request("GET", url, None, None, options["headers"], None)
        if origin_of(url) != self._base.origin:
            if not other_origins:
                raise PaginationError(
                    "a next-page link leads to another origin; "
                    "pass follow_other_origins=True to fetch it without credentials"
                )
            safe = Headers((k, v) for k, v in request.headers.items() if k.lower() in SAFE_HEADERS)
            request = Request("GET", url, safe, None)
        response = self._send(request, options["timeout"], options["retries"], None)
        self._raise_for_status(response, request)
        return response

    def _send(
        self,
        request: Request,
        timeout: TimeoutLike | _Unset,
        retries: RetryPolicy | int | _Unset,
        max_body_bytes: int | None,
    ) -> Response:
        """Run one logical call (attempts, redirects, waits) and return the final response."""
        cache = self.cache
        if cache is not None:
            conditional = cache.prepare(request)
            return cache.resolve(
                request, self._exchange(conditional, timeout, retries, max_body_bytes)
            )
        return self._exchange(request, timeout, retries, max_body_bytes)

    def _exchange(
        self,
        request: Request,
        timeout: TimeoutLike | _Unset,
        retries: RetryPolicy | int | _Unset,
        max_body_bytes: int | None,
        stream: bool = False,
    ) -> Response:
        settings = self._settings
        if timeout is not UNSET or retries is not UNSET or max_body_bytes is not None or stream:
            settings = replace(
                settings,
                timeout=settings.timeout if timeout is UNSET else Timeouts.coerce(timeout),
                retry=settings.retry if retries is UNSET else RetryPolicy.coerce(retries),
                max_body_bytes=max_body_bytes or settings.max_body_bytes,
                stream=stream,
            )
        return self._drive(exchange(request, settings))

    def get(self, path: str, **options: Unpack[RequestOptions]) -> Any:
        """GET ``path``; see ``request`` for the options."""
        return self.request("GET", path, **options)

    def post(self, path: str, **options: Unpack[RequestOptions]) -> Any:
        """POST ``path`` (not retried unless it has an idempotency key)."""
        return self.request("POST", path, **options)

    def put(self, path: str, **options: Unpack[RequestOptions]) -> Any:
        """PUT ``path``."""
        return self.request("PUT", path, **options)

    def patch(self, path: str, **options: Unpack[RequestOptions]) -> Any:
        """PATCH ``path`` (not retried unless it has an idempotency key)."""
        return self.request("PATCH", path, **options)

    def delete(self, path: str, **options: Unpack[RequestOptions]) -> Any:
        """DELETE ``path``."""
        return self.request("DELETE", path, **options)

    def head(self, path: str, **options: Unpack[RequestOptions]) -> Any:
        """HEAD ``path``; returns None unless ``raw=True``."""
        return self.request("HEAD", path, **options)

    # -- plumbing -------------------------------------------------------------------------

    def _build_request(
        self,
        method: str,
        url: str,
        json: Any,
        data: Mapping[str, Any] | bytes | str | None,
        headers: Mapping[str, str] | None,
        idempotency_key: str | None,
        files: Mapping[str, FileSpec] | None = None,
    ) -> Request:
        method = check_method(method)
        check_url_text(url)
        request_headers = self.headers.copy()
        body: bytes | MultipartBody | None = None
        if files is not None:
            if data is not None and not isinstance(data, Mapping):
                raise TypeError("with files=, data= must be a mapping of form fields")
            body = MultipartBody(data, files)
            request_headers["Content-Type"] = body.content_type
            request_headers["Content-Length"] = str(len(body))
        elif json is not None:
            body = jsonlib.dumps(json, separators=(",", ":"), ensure_ascii=False).encode()
            request_headers["Content-Type"] = "application/json"
        elif isinstance(data, (bytes, str)):
            body = data.encode(self.encoding) if isinstance(data, str) else data
        elif data is not None:
            body = encode_params(data).encode("ascii")
            request_headers["Content-Type"] = "application/x-www-form-urlencoded"
        if headers:
            check_headers(headers.items())
            request_headers.update(headers)
        if idempotency_key is not None:
            request_headers[IDEMPOTENCY_HEADER] = idempotency_key
        elif (
            self.idempotency_keys
            and method in ("POST", "PATCH")
            and IDEMPOTENCY_HEADER not in request_headers
        ):
            request_headers[IDEMPOTENCY_HEADER] = uuid.uuid4().hex
        return Request(method, url, request_headers, body)

    def _drive(self, flow: Exchange) -> Response:
        """Perform the loop's effects with real I/O until it returns the final response."""
        return driver.run(flow, self.transport, self._sleep)

    # -- lifecycle ------------------------------------------------------------------------

    def close(self) -> None:
        """Release every pooled connection; the client should not be used afterwards."""
        self.transport.close()

    def __enter__(self) -> APIClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        auth = f" auth={self.auth!r}" if self.auth is not None else ""
        return f"<{type(self).__name__} {redact_url(self.base_url, self._safe_params)}{auth}>"


def _hooks(hooks: Callable[..., object] | Iterable[Callable[..., object]]) -> tuple[Any, ...]:
    return (hooks,) if callable(hooks) else tuple(hooks)


class APIClient_SharedSecret(APIClient):
    """A client whose API takes a shared secret as a query parameter (the seed's name).

    ``API_KEY_PARAM`` names the parameter (``'key'`` by default). The key is added by an
    ``APIKey`` auth object, so it goes only to ``BASE_URL``'s origin and never into logs.
    """

    API_KEY_PARAM: ClassVar[str] = "key"

    def __init__(self, api_key: str, *args: Any, **kwargs: Any) -> None:
        if kwargs.get("auth") is not None:
            raise TypeError("APIClient_SharedSecret takes api_key, not auth=")
        kwargs["auth"] = APIKey(api_key, param=self.API_KEY_PARAM)
        super().__init__(*args, **kwargs)

    @property
    def api_key(self) -> str:
        """The shared secret (never shown by ``repr`` or logs)."""
        assert isinstance(self.auth, APIKey)
        return self.auth.key


__all__ = ["APIClient", "APIClient_SharedSecret", "RequestOptions"]
