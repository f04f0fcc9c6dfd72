"""What the sync and the async client share: configuration, the seed's hooks, and calls.

Everything here decides and builds; nothing here does I/O. ``APIClient`` (sync) and
``AsyncAPIClient`` add only the driver that runs a call's flow with their transport.
The seed's two hooks keep their meaning and sit on the real path of every call:
``_compose_url(path, params=None)`` builds the full URL, and ``_handle_response(response)``
turns the final response into the return value. Before ``_handle_response`` runs, an error
status (4xx/5xx) is raised as a typed ``HTTPStatusError`` by ``_raise_for_status``, a third
hook for APIs that report errors their own way (``ERRORS`` and ``error_code`` declare most).
With ``model=``, the body is made into that type by the client's ``Decoder``.
"""

from __future__ import annotations

import copy
import inspect
import logging
from collections.abc import Callable, Generator, Iterable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from apiclient._version import __version__
from apiclient.auth.base import Auth, secrets_of
from apiclient.auth.keys import APIKey
from apiclient.cache import ETagCache
from apiclient.calls import NO_OPTIONS, UNSET, CallOptions, _Unset, encode_body
from apiclient.clocks import clock_and_sleep
from apiclient.decoders import Decoder, Mismatch, default_decoder, describe_path
from apiclient.defaults import (
    ERROR_SNIPPET_CHARS,
    IDEMPOTENCY_HEADER,
    MAX_BODY_BYTES,
    MAX_REDIRECTS,
    MAX_RETRIES,
    POOL_MAXSIZE,
    SAFE_QUERY_PARAMS,
)
from apiclient.effects import Effect, SupportsAcquire
from apiclient.errors import APIError, HTTPStatusError, ValidationError, http_error_for
from apiclient.flow import CallSettings, Exchange, exchange
from apiclient.models import Headers, Request, Response, Result
from apiclient.observers import Hooks
from apiclient.policies import error_bodies
from apiclient.policies.decoding import decode_body, is_json_type
from apiclient.policies.pages import LinkHeader, Paginator
from apiclient.policies.ratelimit_headers import Dialect
from apiclient.policies.redirects import RedirectPolicy
from apiclient.policies.retries import RetryPolicy
from apiclient.policies.timeouts import TimeoutLike, Timeouts
from apiclient.policies.urls import BaseURL, Params, add_query, encode_params, params_dict
from apiclient.policies.validation import check_headers, check_method, check_url_text
from apiclient.ratelimit.adaptive import AdaptiveThrottle
from apiclient.ratelimit.buckets import RateLimits
from apiclient.ratelimit.concurrency import ConcurrencyLimiter
from apiclient.ratelimit.pacing import Pacing
from apiclient.redaction import redact_url, redacted_request, secret_spellings
from apiclient.transports.proxies import Proxies
from apiclient.transports.tls import ClientCert, TLSOptions

RequestHook = Callable[[Request], object]
ResponseHook = Callable[[Request, Response], object]
_Client = TypeVar("_Client", bound="ClientCore")

if TYPE_CHECKING:
    import ssl


class ClientCore:
    """Configuration and calls shared by ``APIClient`` and ``AsyncAPIClient``.

    Args:
        rate_limit_lock: any object with ``acquire()`` (e.g. ``RateLimiter``), acquired before
            every attempt that goes on the wire, retries included.
        encoding: text encoding for bodies that do not declare a charset (seed: ``'utf8'``).
        base_url: overrides the class's ``BASE_URL`` (e.g. to point at a local fake).
        auth: an auth object (``APIKey``, ``BasicAuth``, ``BearerToken``...).
        timeout: a ``Timeouts``, a number of seconds (connect and read) or a pair;
            ``None`` disables every limit. Default: the class's ``TIMEOUT`` (10 s, 30 s,
            120 s total).
        retries: a ``RetryPolicy`` or a number of retries (default: the class's ``RETRIES``,
            3; 0 disables).
        max_redirects: redirects followed per call (default 10; 0 disables following).
        headers: headers added to every request.
        transport: what performs the exchanges: a transport, or a transport class made with
            this client's pool and TLS settings (``transport=CurlTransport``). Default: the
            class's ``TRANSPORT``, else ``Urllib3Transport`` (``AiohttpTransport``).
        verify: verify TLS certificates (default True; False logs a warning).
        ca_certs: CA bundle that replaces the system trust store.
        cert: a client certificate for mutual TLS: ``(certfile, keyfile)`` or one file.
        ssl_context: an ``ssl.SSLContext`` of your own, instead of the three above.
        proxy: an HTTP proxy (``http://user:pass@proxy:3128``) for every request; without
            it, ``HTTP_PROXY`` / ``HTTPS_PROXY`` / ``ALL_PROXY`` / ``NO_PROXY`` apply
            (read when the client is made) unless ``trust_env=False``.
        pool_maxsize: connections kept per origin (threads or tasks beyond it wait for one).
            Default: the class's ``POOL_MAXSIZE`` (10 for threads, 100 for asyncio tasks).
        max_body_bytes: largest response body accepted, after decompression (64 MiB).
        compress: ask for compressed bodies (``Accept-Encoding``: gzip, deflate, and br or
            zstd when their decoders are installed; the same in both clients); False sends
            ``identity``. A header of your own wins.
        idempotency_keys: mint one ``Idempotency-Key`` per POST/PATCH call (reused by its
            retries), which also makes those calls retryable.
        adaptive_throttle: when a response says "wait" (``Retry-After``, ``X-RateLimit-*``,
            IETF ``RateLimit``), pause every caller of this client (and the limiter's other
            users) until the server says it is safe. On by default.
        cache: an ``ETagCache`` to make GETs conditional (``If-None-Match`` /
            ``If-Modified-Since``); a 304 then returns the cached body.
        on_request, on_response: hooks called on every attempt (retries and redirects
            included): ``on_request(request)`` before credentials are added (it may change
            ``request.headers``), ``on_response(request, response)`` after. For custom
            headers and quick metrics; use ``redact_url`` where they print URLs.
        observers: objects told of every call, attempt, retry and wait, errors and
            cancellations included (``apiclient.observers``; OpenTelemetry:
            ``apiclient.otel.OpenTelemetryObserver``).
        user_agent: the ``User-Agent`` header.
        decoder: builds ``model=`` values (default: the class's ``DECODER``, or an
            ``AutoDecoder``: pydantic, msgspec or apiclient's own validator by model).
        clock, sleep: monotonic clock and sleep function, injectable for tests: a
            ``FakeClock`` as ``clock`` brings its own sleep, and a ``sleep`` alone is
            measured, so a fake one moves the client's time (``apiclient.clocks``).
    """

    BASE_URL: ClassVar[str] = ""
    #: Headers sent with every request (merged under ``headers=``).
    DEFAULT_HEADERS: ClassVar[Mapping[str, str]] = {"Accept": "application/json"}
    #: Extra query parameters whose values may appear in logs and errors.
    LOG_SAFE_PARAMS: ClassVar[frozenset[str]] = frozenset()
    #: How ``paginate`` finds items and next pages when no ``paginator=`` is given.
    PAGINATOR: ClassVar[Paginator] = LinkHeader()
    #: The retry policy (or number of retries) when ``retries=`` is not given.
    RETRIES: ClassVar[RetryPolicy | int] = MAX_RETRIES
    #: The time limits when ``timeout=`` is not given.
    TIMEOUT: ClassVar[TimeoutLike] = Timeouts()
    #: The API's error codes (as ``error_code`` reads them) and statuses, to error classes.
    ERRORS: ClassVar[Mapping[str | int, type[HTTPStatusError]]] = {}
    #: How ``model=`` values are built (None: an ``AutoDecoder``).
    DECODER: ClassVar[Decoder | None] = None
    #: Accept ``NaN`` / ``Infinity`` in JSON bodies (Python's json does, the JSON RFC does not).
    ALLOW_JSON_NAN: ClassVar[bool] = False
    #: The logger this client writes to (a library built on apiclient sets its own name).
    LOGGER: ClassVar[str] = "apiclient"
    #: Per-route rate limits: glob pattern (optionally after a method) to a limiter or a
    #: ``Bucket``, first match wins (``rate_limits=`` replaces it; see ``ratelimit.buckets``).
    #: Its limiters are shared by every instance of the class.
    RATE_LIMITS: ClassVar[Mapping[str, Any]] = {}
    #: How the server writes its rate-limit headers (``"auto"`` decides per response).
    RATE_LIMIT_DIALECT: ClassVar[Dialect] = "auto"
    #: Spread the server's remaining quota over the time left (``Pacing``, or True/False).
    PACING: ClassVar[Pacing | bool] = True
    #: Requests of one client on the wire at once (None: only the pool bounds it).
    MAX_IN_FLIGHT: ClassVar[int | None] = None
    #: Connections kept per origin when ``pool_maxsize=`` is not given.
    POOL_MAXSIZE: ClassVar[int] = POOL_MAXSIZE
    #: The transport class each client makes when ``transport=`` is not given (None: the
    #: flavour's own, urllib3 or aiohttp).
    TRANSPORT: ClassVar[type[Any] | None] = None
    #: Whether this flavour's sleep is awaited (``AsyncAPIClient``).
    _AWAITS: ClassVar[bool] = False
    #: Whether closing this client closes its transport (a ``with_options`` copy does not).
    _owns_transport: bool = True

    def __init__(
        self, rate_limit_lock: SupportsAcquire | None = None, encoding: str = "utf8", *,
        base_url: str | None = None, auth: Auth | None = None,
        timeout: TimeoutLike | _Unset = UNSET, retries: RetryPolicy | int | _Unset = UNSET,
        max_redirects: int = MAX_REDIRECTS, headers: Mapping[str, str] | None = None,
        transport: Any = None, verify: bool = True, ca_certs: str | None = None,
        cert: ClientCert | None = None, ssl_context: ssl.SSLContext | None = None,
        pool_maxsize: int | None = None, max_body_bytes: int = MAX_BODY_BYTES,
        idempotency_keys: bool = False, adaptive_throttle: bool = True, proxy: str | None = None,
        cache: ETagCache | None = None, trust_env: bool = True,
        on_request: RequestHook | Iterable[RequestHook] = (),
        on_response: ResponseHook | Iterable[ResponseHook] = (),
        observers: Iterable[Any] = (), user_agent: str | None = None,
        decoder: Decoder | None = None, clock: Callable[[], float] | None = None,
        sleep: Any = None, rate_limits: Mapping[str, Any] | None = None,
        rate_limit_dialect: Dialect | None = None, pacing: Pacing | bool | None = None,
        max_in_flight: int | ConcurrencyLimiter | None = None, compress: bool = True,
    ) -> None:  # fmt: skip
        self.encoding, self.base_url = encoding, base_url or self.BASE_URL
        self._base = BaseURL.parse(self.base_url)
        self.auth, self.idempotency_keys = auth, idempotency_keys
        self.headers: Headers = _client_headers(self.DEFAULT_HEADERS, headers, user_agent)
        clock, self._sleep = clock_and_sleep(clock, sleep, self._default_sleep(), self._AWAITS)
        self.cache, self.decoder = cache, decoder or self.DECODER or default_decoder()
        self._safe_params = SAFE_QUERY_PARAMS | self.LOG_SAFE_PARAMS
        limits = self._set_rate_limits(rate_limits, rate_limit_lock, clock, adaptive_throttle,
                                       rate_limit_dialect, pacing, max_in_flight)  # fmt: skip
        self._settings = CallSettings(
            retry=RetryPolicy.coerce(self.RETRIES if retries is UNSET else retries),
            redirect=RedirectPolicy(max_redirects),
            timeout=Timeouts.coerce(self.TIMEOUT if timeout is UNSET else timeout),
            max_body_bytes=max_body_bytes, clock=clock, auth=auth, **limits.default_limits(),
            safe_params=self._safe_params, auth_origin=self._base.origin,
            auth_prefix=self._base.prefix, logger=logging.getLogger(self.LOGGER),
            observers=_observers(on_request, on_response, observers, self._safe_params),
        )  # fmt: skip
        tls, proxies = TLSOptions(verify, ca_certs, cert, ssl_context), Proxies(proxy, trust_env)
        pool_maxsize = self.POOL_MAXSIZE if pool_maxsize is None else pool_maxsize
        self._set_transport(self._made_transport(transport, pool_maxsize, tls, proxies), compress)

    def _made_transport(
        self, given: Any, pool_maxsize: int, tls: TLSOptions, proxies: Proxies
    ) -> Any:
        """``transport=`` as given, or made from a class (it, ``TRANSPORT``, the default)."""
        given = given or self.TRANSPORT
        if given is None:
            return self._default_transport(pool_maxsize, tls, proxies)
        if isinstance(given, type):
            return given(pool_maxsize=pool_maxsize, tls=tls, proxies=proxies)
        return given

    def _set_transport(self, transport: Any, compress: bool) -> None:
        """The transport, and the ``Accept-Encoding`` it can honour (unless one was given)."""
        self.transport = transport
        self.headers.setdefault("Accept-Encoding", _accepted_codings(transport, compress))

    def _set_rate_limits(
        self, given: Mapping[str, Any] | None, lock: SupportsAcquire | None,
        clock: Callable[[], float], adaptive: bool, dialect: Dialect | None,
        pacing: Pacing | bool | None, max_in_flight: int | ConcurrencyLimiter | None,
    ) -> RateLimits:  # fmt: skip
        """Set up the client's buckets, from its arguments over the class's defaults."""
        self.rate_limits = limits = RateLimits(
            _route_table(self.RATE_LIMITS, given, lock),
            base_prefix=self._base.prefix, clock=clock, adaptive=adaptive,
            dialect=dialect or self.RATE_LIMIT_DIALECT,
            pacing=self.PACING if pacing is None else pacing,
            max_in_flight=self.MAX_IN_FLIGHT if max_in_flight is None else max_in_flight,
        )  # fmt: skip
        self._routing = None if limits.trivial else limits
        return limits

    @property
    def rate_limit_lock(self) -> SupportsAcquire | None:
        """The seed's limiter: the ``"*"`` bucket's, acquired before every attempt."""
        return self.rate_limits.default.limiter

    @property
    def throttle(self) -> AdaptiveThrottle | None:
        """The ``"*"`` bucket's adaptive throttle (None when ``adaptive_throttle=False``)."""
        return self.rate_limits.default.throttle

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

    def with_options(
        self: _Client,
        *,
        timeout: TimeoutLike | _Unset = UNSET,
        retries: RetryPolicy | int | _Unset = UNSET,
        headers: Mapping[str, str] | None = None,
        max_redirects: int | None = None,
        max_body_bytes: int | None = None,
    ) -> _Client:
        """A client like this one with other defaults, sharing its connections.

        The derived client shares the transport (its pool), the rate limiter, the auth
        object, the adaptive throttle and the cache; ``headers`` are added to this
        client's. Closing it leaves the shared connections open (close the original).
        ``api.with_options(timeout=5).get(path)``.
        """
        derived = copy.copy(self)
        derived.headers = self.headers.copy()
        if headers:
            check_headers(headers.items())
            derived.headers.update(headers)
        if timeout is not UNSET:
            derived.timeout = timeout
        if retries is not UNSET:
            derived.retries = retries
        if max_redirects is not None:
            derived.max_redirects = max_redirects
        if max_body_bytes is not None:
            derived.max_body_bytes = max_body_bytes
        derived._owns_transport = False
        return derived

    def _default_transport(self, pool_maxsize: int, tls: TLSOptions, proxies: Proxies) -> Any:
        raise NotImplementedError

    def _default_sleep(self) -> Any:
        raise NotImplementedError

    def _run(self, flow: Generator[Effect, Any, Any]) -> Any:
        """Drive ``flow`` with the transport: its value (sync) or a coroutine of it (async)."""
        raise NotImplementedError

    # -- the seed's hooks, and the error hooks ----------------------------------------------

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
        """Raise the typed ``HTTPStatusError`` for a 4xx/5xx response; do nothing otherwise.

        The class comes from ``ERRORS`` (the API's error code, as ``error_code`` reads it
        from the body, then the status), else from the status (``NotFound``...).
        """
        if response.status < 400:
            return
        body = self._error_body(response)
        response.url = redact_url(response.url, self._safe_params)  # the error keeps it
        code = self.error_code(response, body)
        errors, safe = self.ERRORS, self._safe_params
        raise http_error_for(response, body, errors=errors, code=code, safe_params=safe)

    def error_code(self, response: Response, body: Any) -> str | None:
        """The API's own error code in an error response (for ``ERRORS``), or None.

        The default reads the common shapes: ``{"code": ...}``, ``{"error": {"code" or
        "type": ...}}``, ``{"errors": [{"code" or "type" or "extensions.code": ...}]}``,
        ``{"error": "invalid_grant"}``. Override it for an API that says it otherwise.
        """
        return error_bodies.error_code(body)

    def _error_body(self, response: Response) -> Any:
        """The decoded body of an error response (its text if it does not decode)."""
        try:
            return decode_body(response, self.encoding, allow_nan=self.ALLOW_JSON_NAN)
        except APIError:
            return response.text

    # -- calls ------------------------------------------------------------------------------

    def _call_flow(
        self, method: str, path: str, call: CallOptions = NO_OPTIONS
    ) -> Generator[Effect, Any, Any]:
        """A whole call as one flow, for either driver: build, run the loop, finish.

        The request is built when the flow first runs: for the async client, when the call
        is awaited, as with any ``async def``.
        """
        params = None if call is NO_OPTIONS else call.params
        request = self._build_request(method, self._compose_url(path, params), call)
        response = yield from self._flow(request, call)
        return self._finish(response, request, call)

    def _build_request(self, method: str, url: str, call: CallOptions = NO_OPTIONS) -> Request:
        method = check_method(method)
        check_url_text(url)
        headers = self.headers.copy()
        body = None
        if call is not NO_OPTIONS:  # (the common call has none: no option looked at)
            if call.json is not None or call.data is not None or call.files is not None:
                body, described = encode_body(call.json, call.data, call.files, self.encoding)
                headers.update(described)
            if call.headers:
                check_headers(call.headers.items())
                headers.update(call.headers)
        if call.idempotency_key is not None:
            headers[IDEMPOTENCY_HEADER] = call.idempotency_key
        elif (
            self.idempotency_keys
            and method in ("POST", "PATCH")
            and IDEMPOTENCY_HEADER not in headers
        ):
            import uuid  # only for clients that mint keys

            headers[IDEMPOTENCY_HEADER] = uuid.uuid4().hex
        return Request(method, url, headers, body)

    def _flow(self, request: Request, call: CallOptions = NO_OPTIONS) -> Exchange:
        """One call's request loop, for either driver: with its settings, through the cache."""
        settings = self._settings
        if call is not NO_OPTIONS and call.overrides_settings:
            settings = self._settings_for(call)
        if self._routing is not None:  # per-route buckets: this request's limits
            settings = self._routing.settings(settings, request.method, request.url)
        cache = self.cache
        if cache is None:
            return exchange(request, settings)
        return _conditional(cache, request, settings)

    def _settings_for(self, call: CallOptions, stream: bool = False) -> CallSettings:
        """The client's call settings with this call's overrides applied."""
        settings = self._settings
        return replace(
            settings,
            timeout=settings.timeout if call.timeout is UNSET else Timeouts.coerce(call.timeout),
            retry=settings.retry if call.retries is UNSET else RetryPolicy.coerce(call.retries),
            max_body_bytes=call.max_body_bytes or settings.max_body_bytes,
            stream=stream,
        )

    def _finish(self, response: Response, request: Request, call: CallOptions) -> Any:
        """The call's return value: the response (``raw``), the model, or the decoded body.

        Whoever raises (the hooks, or an override of them), the error leaves with the
        call's redacted request and attempt count, and without the client's secrets.
        """
        plain = call is NO_OPTIONS
        if not plain and call.raw:
            return response
        try:
            self._raise_for_status(response, request)
            model = None if plain else call.model
            value = (
                self._handle_response(response) if model is None else self._decode(response, model)
            )
        except APIError as error:
            self._annotate(error, request, response)
            raise
        return Result(value, response) if not plain and call.with_response else value

    def _decode(self, response: Response, model: Any) -> Any:
        """The response's body made into ``model`` by the client's decoder."""
        if model is Response:
            return response
        decoder = self.decoder
        try:
            if self._decodes_bytes(response, model):
                return decoder.decode(response.data, model)
            return decoder.convert(self._handle_response(response), model)
        except ValueError as exc:
            raise self._validation_error(response, model, exc) from None

    def _decodes_bytes(self, response: Response, model: Any) -> bool:
        """Whether the decoder reads the body's bytes itself (faster: msgspec, pydantic).

        Only for a UTF-8 JSON body, with the default ``_handle_response``, and when the
        decoder prefers bytes for ``model`` (apiclient's validator works on parsed values).
        """
        if not response.data or type(self)._handle_response is not ClientCore._handle_response:
            return False
        prefers = getattr(self.decoder, "prefers_bytes", None)
        if prefers is not None and not prefers(model):
            return False
        charset = response.charset
        utf8 = charset is None or charset.lower().replace("-", "") == "utf8"
        return utf8 and is_json_type(response.content_type)

    def _validation_error(self, response: Response, model: Any, exc: ValueError) -> APIError:
        path = describe_path(exc.path) if isinstance(exc, Mismatch) else "$"
        reason = exc.reason if isinstance(exc, Mismatch) else str(exc)
        snippet = response.data[:ERROR_SNIPPET_CHARS].decode("utf-8", errors="replace")
        return ValidationError(model, path, reason[:200], status=response.status, snippet=snippet)

    def _check_status(self, response: Response, request: Request) -> None:
        """``_raise_for_status``, its error annotated as in ``_finish`` (for streams)."""
        try:
            self._raise_for_status(response, request)
        except APIError as error:
            self._annotate(error, request, response)
            raise

    def _annotate(self, error: APIError, request: Request, response: Response) -> None:
        if error.request is None:
            error.request = redacted_request(request, self._safe_params)
        if not error.attempts:
            error.attempts = response.attempts
        error._scrub(secret_spellings(secrets_of(self.auth)))

    def _page_options(self, options: Mapping[str, Any]) -> dict[str, Any]:
        """``paginate``'s keyword arguments, as ``Paginated`` takes them."""
        unknown = set(options) - _PAGE_OPTIONS
        if unknown:
            raise TypeError(f"paginate() got unexpected keyword arguments {sorted(unknown)}")
        return {
            "paginator": options.get("paginator") or self.PAGINATOR,
            "method": options.get("method", "GET"),
            "json": options.get("json"),
            "max_pages": options.get("max_pages"),
            "max_items": options.get("max_items"),
            "follow_other_origins": options.get("follow_other_origins", False),
            "options": {k: options[k] for k in ("headers", "timeout", "retries") if k in options},
        }

    def _stream_start(self, method: str, path: str, call: CallOptions) -> tuple[Request, Exchange]:
        """A streamed call's request and its loop, which leaves the final body unread."""
        request = self._build_request(method, self._compose_url(path, call.params), call)
        settings = self._settings_for(call, stream=True)
        if self._routing is not None:
            settings = self._routing.settings(settings, request.method, request.url)
        return request, exchange(request, settings)

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


_PAGE_OPTIONS = frozenset(
    {"paginator", "method", "json", "max_pages", "max_items", "follow_other_origins",
     "headers", "timeout", "retries"}
)  # fmt: skip


def call_params(params: Params | None, more_params: Mapping[str, Any]) -> Params:
    """``call(path, params, **more)``: both spellings of the seed's parameters, merged."""
    if params is not None and more_params:
        return {**params_dict(params), **more_params}
    return params if params is not None else more_params


def _conditional(cache: ETagCache, request: Request, settings: CallSettings) -> Exchange:
    """``exchange`` made conditional: validators sent, and a 304 answered from the cache."""
    response = yield from exchange(cache.prepare(request), settings)
    return cache.resolve(request, response)


def _route_table(
    declared: Mapping[str, Any], given: Mapping[str, Any] | None, lock: SupportsAcquire | None
) -> dict[str, Any]:
    """The client's buckets: ``rate_limits=`` (else ``RATE_LIMITS``) and ``rate_limit_lock=``.

    ``rate_limit_lock=`` is the ``"*"`` bucket: it replaces the class's, and may not be given
    in ``rate_limits=`` too.
    """
    table = dict(declared if given is None else given)
    if lock is not None:
        if given is not None and "*" in given:
            raise TypeError(
                "rate_limit_lock= is the '*' bucket: give it once, not in rate_limits too"
            )
        table.pop("*", None)
        table["*"] = lock
    return table


def _accepted_codings(transport: Any, compress: bool) -> str:
    """``Accept-Encoding``: what the transport decodes (the same in both clients), or none."""
    if not compress:
        return "identity"
    return str(getattr(transport, "accept_encoding", "gzip, deflate"))


def _client_headers(
    defaults: Mapping[str, str], given: Mapping[str, str] | None, user_agent: str | None
) -> Headers:
    """Every request's headers: the class's, the ``User-Agent``, then those given (checked)."""
    headers = Headers(defaults)
    headers["User-Agent"] = user_agent or f"apiclient/{__version__}"
    if given:
        headers.update(given)
    check_headers(headers.items())
    return headers


def _observers(
    on_request: RequestHook | Iterable[RequestHook],
    on_response: ResponseHook | Iterable[ResponseHook],
    observers: Iterable[Any],
    safe_params: frozenset[str],
) -> tuple[Any, ...]:
    """The client's observers: its hooks first (as ``Hooks``), then those it was given.

    An observer with ``for_client(safe_params)`` is given the client's redaction allowlist
    (the query parameters whose values may show), and the observer it returns is used.
    """
    requests, responses = _hooks(on_request), _hooks(on_response)
    hooks = (Hooks(requests, responses),) if requests or responses else ()
    given = tuple(
        o.for_client(safe_params) if callable(getattr(o, "for_client", None)) else o
        for o in observers
    )
    return (*hooks, *given)


def _hooks(hooks: Callable[..., object] | Iterable[Callable[..., object]]) -> tuple[Any, ...]:
    """The hooks as a tuple; an ``async def`` one is refused (it would never be awaited)."""
    found = (hooks,) if callable(hooks) else tuple(hooks)
    for hook in found:
        if inspect.iscoroutinefunction(hook):
            raise TypeError(
                f"on_request/on_response hooks are plain functions, not async def: {hook!r}"
            )
    return found
