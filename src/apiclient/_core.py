"""What the sync and the async client share: configuration, the seed's hooks, and requests.

Everything here decides and builds; nothing here does I/O. ``APIClient`` (sync) and
``AsyncAPIClient`` add only the calls that run the request loop with their transport.
The seed's two hooks keep their meaning and sit on the real path of every call:
``_compose_url(path, params=None)`` builds the full URL, and ``_handle_response(response)``
turns the final response into the return value. Before ``_handle_response`` runs, an error
status (4xx/5xx) is raised as a typed ``HTTPStatusError`` by ``_raise_for_status``, a third
hook for APIs that report errors their own way.
"""

from __future__ import annotations

import inspect
import json as jsonlib
import time
from collections.abc import Callable, Generator, Iterable, Mapping
from dataclasses import replace
from enum import Enum
from typing import Any, ClassVar, TypedDict

from apiclient._version import __version__
from apiclient.auth.base import Auth, secrets_of
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
from apiclient.effects import Effect, SupportsAcquire
from apiclient.errors import APIError, DecodeError, PaginationError, error_class_for
from apiclient.flow import CallSettings, Exchange, exchange, redact_request
from apiclient.models import Headers, Request, Response
from apiclient.multipart import FileSpec, MultipartBody
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
from apiclient.redaction import redact_url, secret_spellings

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


class ClientCore:
    """Configuration and request building shared by ``APIClient`` and ``AsyncAPIClient``.

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
    #: Accept ``NaN`` / ``Infinity`` in JSON bodies (Python's json does, the JSON RFC does not).
    ALLOW_JSON_NAN: ClassVar[bool] = False

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
        transport: Any = None,
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
        sleep: Any = None,
    ) -> None:
        self.rate_limit_lock = rate_limit_lock
        self.encoding = encoding
        self.base_url = base_url or self.BASE_URL
        self._base = BaseURL.parse(self.base_url)
        self.auth = auth
        self.idempotency_keys = idempotency_keys
        self.headers = Headers(self.DEFAULT_HEADERS)
        self.headers["User-Agent"] = user_agent or f"apiclient/{__version__}"
        if headers:
            self.headers.update(headers)
        check_headers(self.headers.items())
        self._sleep = sleep if sleep is not None else self._default_sleep()
        self.cache = cache
        self._safe_params = SAFE_QUERY_PARAMS | self.LOG_SAFE_PARAMS
        limiter = rate_limit_lock if isinstance(rate_limit_lock, Limiter) else None
        self.throttle = AdaptiveThrottle(clock, limiter=limiter) if adaptive_throttle else None
        self._settings = CallSettings(
            retry=RetryPolicy.coerce(retries),
            redirect=RedirectPolicy(max_redirects),
            timeout=Timeouts.coerce(timeout),
            max_body_bytes=max_body_bytes,
            clock=clock,
            auth=auth,
            limiter=rate_limit_lock,
            throttle=self.throttle,
            safe_params=self._safe_params,
            auth_origin=self._base.origin,
            auth_prefix=self._base.prefix,
            on_request=_hooks(on_request),
            on_response=_hooks(on_response),
        )
        if transport is None:
            transport = self._default_transport(pool_maxsize, verify, ca_certs)
        self.transport = transport

    # The call settings are the one source of truth; these read and replace them. Each call
    # reads the (immutable) settings once, so changing them is safe while calls run.

    @property
    def timeout(self) -> Timeouts:
        """The time limits of every call (``Timeouts``); assign a number, pair or Timeouts."""
        return self._settings.timeout

    @timeout.setter
    def timeout(self, value: TimeoutLike) -> None:
        self._settings = replace(self._settings, timeout=Timeouts.coerce(value))

    @property
    def retries(self) -> RetryPolicy:
        """The retry policy; assign a ``RetryPolicy`` or a number of retries."""
        return self._settings.retry

    @retries.setter
    def retries(self, value: RetryPolicy | int) -> None:
        self._settings = replace(self._settings, retry=RetryPolicy.coerce(value))

    @property
    def max_redirects(self) -> int:
        """Redirects followed per call (0: none)."""
        return self._settings.redirect.max_redirects

    @max_redirects.setter
    def max_redirects(self, value: int) -> None:
        self._settings = replace(self._settings, redirect=RedirectPolicy(value))

    @property
    def max_body_bytes(self) -> int:
        """Largest response body accepted, after decompression."""
        return self._settings.max_body_bytes

    @max_body_bytes.setter
    def max_body_bytes(self, value: int) -> None:
        self._settings = replace(self._settings, max_body_bytes=value)

    def _default_transport(self, pool_maxsize: int, verify: bool, ca_certs: str | None) -> Any:
        raise NotImplementedError

    def _default_sleep(self) -> Any:
        raise NotImplementedError

    # -- the seed's hooks -----------------------------------------------------------------

    def _compose_url(self, path: str, params: Params | None = None) -> str:
        """Seed hook: the absolute URL for ``path`` under ``BASE_URL``, with ``params``."""
        url = self._base.join(path)
        return add_query(url, encode_params(params)) if params else url

    def _handle_response(self, response: Response) -> Any:
        """Seed hook: turn a successful response into the value a call returns.

        The default decodes by content type: JSON to Python values, ``text/*`` to ``str``,
        anything else to ``bytes``, an empty body to ``None``.
        """
        return decode_body(response, self.encoding, allow_nan=self.ALLOW_JSON_NAN)

    def _raise_for_status(self, response: Response, request: Request) -> None:
        """Raise the typed ``HTTPStatusError`` for a 4xx/5xx response; do nothing otherwise."""
        if response.status < 400:
            return
        try:
            body = decode_body(response, self.encoding, allow_nan=self.ALLOW_JSON_NAN)
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

    # -- building requests -----------------------------------------------------------------

    @staticmethod
    def _call_params(params: Params | None, more_params: Mapping[str, Any]) -> Params:
        """``call(path, params, **more)``: both spellings of the seed's parameters, merged."""
        if params is not None and more_params:
            merged = dict(params.items() if isinstance(params, Mapping) else params)
            return {**merged, **more_params}
        return params if params is not None else more_params

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
        if json is not None and (data is not None or files is not None):
            raise TypeError("give json= or data=/files=, not both: one body per request")
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
            import uuid  # only for clients that mint keys

            request_headers[IDEMPOTENCY_HEADER] = uuid.uuid4().hex
        return Request(method, url, request_headers, body)

    def _call_flow(
        self,
        method: str,
        path: str,
        params: Params | None,
        json: Any,
        data: Mapping[str, Any] | bytes | str | None,
        files: Mapping[str, FileSpec] | None,
        headers: Mapping[str, str] | None,
        timeout: TimeoutLike | _Unset,
        retries: RetryPolicy | int | _Unset,
        max_body_bytes: int | None,
        idempotency_key: str | None,
        raw: bool,
    ) -> Generator[Effect, Any, Any]:
        """A whole call as one flow, for either driver: build, run the loop, finish.

        The request is built when the flow first runs: for the async client, when the call
        is awaited, as with any ``async def``.
        """
        url = self._compose_url(path, params)
        request = self._build_request(method, url, json, data, headers, idempotency_key, files)
        response = yield from self._flow(request, timeout, retries, max_body_bytes)
        if raw:
            return response
        return self._settle(response, request)

    def _settle(self, response: Response, request: Request) -> Any:
        """Raise an error status, else make the call's value (the two hooks, in order).

        Whoever raises (the hooks, or an override of them), the error leaves with the
        call's redacted request and attempt count, and without the client's secrets.
        """
        try:
            self._raise_for_status(response, request)
            return self._handle_response(response)
        except APIError as error:
            self._annotate(error, request, response)
            raise

    def _check_status(self, response: Response, request: Request) -> None:
        """``_raise_for_status``, its error annotated as in ``_settle`` (for streams)."""
        try:
            self._raise_for_status(response, request)
        except APIError as error:
            self._annotate(error, request, response)
            raise

    def _annotate(self, error: APIError, request: Request, response: Response) -> None:
        if error.request is None:
            error.request = redact_request(request, self._safe_params)
        if not error.attempts:
            error.attempts = response.attempts
        error._scrub(secret_spellings(secrets_of(self.auth)))

    def _stream_start(
        self,
        method: str,
        path: str,
        params: Params | None,
        json: Any,
        data: Mapping[str, Any] | bytes | str | None,
        headers: Mapping[str, str] | None,
        timeout: TimeoutLike | _Unset,
        retries: RetryPolicy | int | _Unset,
        max_body_bytes: int | None,
    ) -> tuple[Request, Exchange]:
        """A streamed call's request and its loop, which leaves the final body unread."""
        url = self._compose_url(path, params)
        request = self._build_request(method, url, json, data, headers, None)
        settings = self._settings_for(timeout, retries, max_body_bytes, stream=True)
        return request, exchange(request, settings)

    def _page_flow(
        self, url: str, other_origins: bool, options: Mapping[str, Any]
    ) -> Generator[Effect, Any, tuple[Any, Response]]:
        """One page of ``paginate``: its decoded body and response (an error status raised)."""
        request = self._page_request(url, other_origins, options["headers"])
        response = yield from self._flow(request, options["timeout"], options["retries"], None)
        return self._settle(response, request), response

    def _flow(
        self,
        request: Request,
        timeout: TimeoutLike | _Unset,
        retries: RetryPolicy | int | _Unset,
        max_body_bytes: int | None,
    ) -> Exchange:
        """One call's request loop, for either driver: with its settings, through the cache."""
        settings = self._settings
        if timeout is not UNSET or retries is not UNSET or max_body_bytes is not None:
            settings = self._settings_for(timeout, retries, max_body_bytes)
        cache = self.cache
        if cache is None:
            return exchange(request, settings)
        return _conditional(cache, request, settings)

    def _settings_for(
        self,
        timeout: TimeoutLike | _Unset,
        retries: RetryPolicy | int | _Unset,
        max_body_bytes: int | None,
        stream: bool = False,
    ) -> CallSettings:
        """The client's call settings with this call's overrides applied."""
        settings = self._settings
        return replace(
            settings,
            timeout=settings.timeout if timeout is UNSET else Timeouts.coerce(timeout),
            retry=settings.retry if retries is UNSET else RetryPolicy.coerce(retries),
            max_body_bytes=max_body_bytes or settings.max_body_bytes,
            stream=stream,
        )

    def _page_request(
        self, url: str, other_origins: bool, headers: Mapping[str, str] | None
    ) -> Request:
        """GET one page's absolute URL; credentials go only to this client's origin."""
        if not url.lower().startswith(("http://", "https://")):
            raise PaginationError("a next-page link must be an http(s) URL")
        request = self._build_request("GET", url, None, None, headers, None)
        if origin_of(url) == self._base.origin:
            return request
        if not other_origins:
            raise PaginationError(
                "a next-page link leads to another origin; "
                "pass follow_other_origins=True to fetch it without credentials"
            )
        safe = Headers((k, v) for k, v in request.headers.items() if k.lower() in SAFE_HEADERS)
        return Request("GET", url, safe, None)

    def __repr__(self) -> str:
        auth = f" auth={self.auth!r}" if self.auth is not None else ""
        return f"<{type(self).__name__} {redact_url(self.base_url, self._safe_params)}{auth}>"


class SharedSecretClient(ClientCore):
    """A client whose API takes a shared secret as a query parameter (the seed's name).

    ``API_KEY_PARAM`` names the parameter (``'key'`` by default). The key is added by an
    ``APIKey`` auth object, so it goes only to ``BASE_URL``'s origin and never into logs.
    ``APIClient_SharedSecret`` and ``AsyncAPIClient_SharedSecret`` are this on each client.
    """

    API_KEY_PARAM: ClassVar[str] = "key"

    def __init__(self, api_key: str, *args: Any, **kwargs: Any) -> None:
        if kwargs.get("auth") is not None:
            raise TypeError(f"{type(self).__name__} takes api_key, not auth=")
        kwargs["auth"] = APIKey(api_key, param=self.API_KEY_PARAM)
        super().__init__(*args, **kwargs)

    @property
    def api_key(self) -> str:
        """The shared secret (never shown by ``repr`` or logs)."""
        assert isinstance(self.auth, APIKey)
        return self.auth.key


def _conditional(cache: ETagCache, request: Request, settings: CallSettings) -> Exchange:
    """``exchange`` made conditional: validators sent, and a 304 answered from the cache."""
    response = yield from exchange(cache.prepare(request), settings)
    return cache.resolve(request, response)


def _hooks(hooks: Callable[..., object] | Iterable[Callable[..., object]]) -> tuple[Any, ...]:
    """The hooks as a tuple; an ``async def`` one is refused (it would never be awaited)."""
    found = (hooks,) if callable(hooks) else tuple(hooks)
    for hook in found:
        if inspect.iscoroutinefunction(hook):
            raise TypeError(
                f"on_request/on_response hooks are plain functions, not async def: {hook!r}"
            )
    return found
