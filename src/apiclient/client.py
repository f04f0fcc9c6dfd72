"""``APIClient``: subclass it, set ``BASE_URL``, add methods. The seed's API, on the core.

Configuration, the seed's hooks and the calls live in ``ClientCore`` (shared with
``AsyncAPIClient``); this module adds the sync surface, every call of which runs its flow
through ``driver.run`` and the urllib3 transport. The overloads are the types: ``model=T``
returns ``T``, ``raw=True`` the ``Response``, ``with_response=True`` a ``Result``, and the
default the decoded body (``Any``).
"""

from __future__ import annotations

import time
from collections.abc import Generator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, Unpack, overload

from apiclient import _intercept, driver
from apiclient._core import ClientCore, SharedSecretClient, call_params
from apiclient._intercept import intercepted
from apiclient.calls import (
    UNSET,
    CallOptions,
    EventOptions,
    FormData,
    PageOptions,
    RequestOptions,
    _Unset,
    event_options,
    with_headers,
)
from apiclient.effects import Effect
from apiclient.pagination import Paginated
from apiclient.policies.retries import RetryPolicy
from apiclient.policies.timeouts import TimeoutLike
from apiclient.policies.urls import Params
from apiclient.sse import EventStream, ServerSentEvent
from apiclient.streaming import StreamedResponse
from apiclient.transports.proxies import Proxies
from apiclient.transports.tls import TLSOptions
from apiclient.verbs import RequestVerb, Verb, request_verb, verb

if TYPE_CHECKING:
    from apiclient.transports.base import Transport

_Client = TypeVar("_Client", bound="APIClient")
T = TypeVar("T")
V = TypeVar("V")


class APIClient(ClientCore):
    """Base class for an API client library (sync; ``AsyncAPIClient`` is its asyncio twin).

    The constructor's arguments are documented on ``ClientCore``: ``rate_limit_lock``,
    ``encoding``, ``base_url``, ``auth``, ``timeout``, ``retries``, ``max_redirects``,
    ``headers``, ``transport`` (default ``Urllib3Transport``), ``verify``, ``ca_certs``, ``cert``,
    ``ssl_context``, ``compress``,
    ``pool_maxsize``, ``max_body_bytes``, ``idempotency_keys``, ``adaptive_throttle``,
    ``cache``, ``on_request``, ``on_response``, ``user_agent``, ``decoder``, ``clock`` and
    ``sleep``.
    """

    transport: Transport

    def _default_transport(self, pool_maxsize: int, tls: TLSOptions, proxies: Proxies) -> Any:
        from apiclient.transports.urllib3 import Urllib3Transport

        return Urllib3Transport(pool_maxsize=pool_maxsize, tls=tls, proxies=proxies)

    def _default_sleep(self) -> Any:
        return time.sleep

    def _run(self, flow: Generator[Effect, Any, V]) -> V:
        """Drive a flow to its value with this client's transport."""
        transport = self.transport if not _intercept.active else intercepted(self, self.transport)
        return driver.run(flow, transport, self._sleep)

    # -- the seed's API -------------------------------------------------------------------

    @overload
    def call(self, path: str, params: Params | None = None, *, model: type[T]) -> T: ...
    @overload
    def call(self, path: str, params: Params | None = None, **more_params: Any) -> Any: ...
    def call(self, path: str, params: Params | None = None, **more_params: Any) -> Any:
        """GET ``path`` with query parameters and return the decoded body (the seed's call).

        ``api.call('/echo', ping='pong')`` and ``api.call('/echo', params={'ping': 'pong'})``
        are the same request. ``model=Repo`` builds the body into that type (a query
        parameter named ``model`` goes in ``params=``).
        """
        model = _model_in(more_params)
        call = CallOptions(params=call_params(params, more_params), model=model)
        return self._run(self._call_flow("GET", path, call))

    def _request(self, method: str, path: str, params: Params | None = None) -> Any:
        """The seed's internal entry point, kept for subclasses that call it."""
        return self.request(method, path, params=params)

    # -- verbs: one implementation for both clients (apiclient.verbs), typed per client ----

    request: RequestVerb = request_verb(
        """Send ``method path`` and return the decoded body.

        ``params`` go in the query string; ``json`` sends a JSON body; ``data`` a form
        (mapping) or raw bytes/str; ``files`` a ``multipart/form-data`` upload (with
        ``data`` as its fields), streamed from disk (see ``apiclient.multipart``).
        ``timeout``, ``retries`` and ``max_body_bytes`` override the client's for this call.
        ``idempotency_key`` sets the ``Idempotency-Key`` header, making a POST retryable.
        An error status raises; then ``model=Repo`` builds the body into that type (a
        dataclass, TypedDict, ``list[Repo]``, a pydantic model, a msgspec Struct...),
        ``with_response=True`` returns ``Result(value, response)``, ``raw=True`` the final
        ``Response`` whatever its status; otherwise ``_handle_response`` makes the value.
        """
    )
    get: Verb = verb("GET", "GET ``path``; see ``request`` for the options.")
    post: Verb = verb(
        "POST", "POST ``path`` (retried after a 429, otherwise only with an idempotency key)."
    )
    put: Verb = verb("PUT", "PUT ``path``; see ``request`` for the options.")
    patch: Verb = verb(
        "PATCH", "PATCH ``path`` (retried after a 429, otherwise only with an idempotency key)."
    )
    delete: Verb = verb("DELETE", "DELETE ``path``; see ``request`` for the options.")
    head: Verb = verb(
        "HEAD", "HEAD ``path``; returns None unless ``raw=True`` or ``with_response``."
    )

    def stream(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
        data: FormData | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: TimeoutLike | _Unset = UNSET,
        retries: RetryPolicy | int | _Unset = UNSET,
        max_body_bytes: int | None = None,
    ) -> StreamedResponse:
        """Send a request and return its response with the body still unread.

        Use it as a context manager; ``iter_bytes()``, ``iter_lines()``, ``json(model=)``
        or ``save(path, progress=...)`` read the body in bounded memory. An error status
        raises as usual (with the error body). Redirects, retries, auth and rate limiting
        apply as for any call. ``timeout.total`` bounds the wait for the response's
        headers; the body is then read at the caller's pace, each read bounded by
        ``timeout.read``.
        """
        call = CallOptions(
            params=params, json=json, data=data, headers=headers, timeout=timeout,
            retries=retries, max_body_bytes=max_body_bytes,
        )  # fmt: skip
        request, flow = self._stream_start(method, path, call)
        response = self._run(flow)
        if response.status >= 400:
            response.data = StreamedResponse(response).read()
            response.stream = None
            self._check_status(response, request)
        return StreamedResponse(response, self.decoder)

    @overload
    def events(
        self, method: str, path: str, *, model: None = None, **options: Unpack[EventOptions]
    ) -> EventStream[ServerSentEvent]: ...
    @overload
    def events(
        self, method: str, path: str, *, model: type[T], **options: Unpack[EventOptions]
    ) -> EventStream[T]: ...
    def events(
        self, method: str, path: str, *, model: Any = None, **options: Any
    ) -> EventStream[Any]:
        """Open a Server-Sent Events stream and yield its events as they arrive.

        ``with api.events("GET", "/feed") as events: for event in events: ...`` gives
        ``ServerSentEvent(event, data, id, retry)``; ``model=Chunk`` builds each event's JSON
        data into ``Chunk`` instead. Auth, rate limits, retries, redirects and observers
        apply to the opening request. ``reconnect=True`` (GET only) resumes a stream that
        ends or drops, with ``Last-Event-ID``, after the server's ``retry:`` delay (else
        ``default_retry`` seconds), up to ``max_reconnects`` drops in a row. Each event's
        data is held up to ``max_event_bytes`` (1 MiB), each line up to ``max_line_bytes``;
        past them ``ResponseTooLarge``. ``timeout.read`` bounds the wait between reads.
        """
        opening, rules = event_options(method, options, model)
        return EventStream(
            lambda extra: self.stream(method, path, **with_headers(opening, extra)),
            self._sleep,
            **rules,
        )

    @overload
    def paginate(
        self,
        path: str,
        params: Params | None = None,
        *,
        model: type[T],
        **options: Unpack[PageOptions],
    ) -> Paginated[T]: ...
    @overload
    def paginate(
        self,
        path: str,
        params: Params | None = None,
        *,
        model: None = None,
        **options: Unpack[PageOptions],
    ) -> Paginated[Any]: ...
    def paginate(
        self, path: str, params: Params | None = None, *, model: Any = None, **options: Any
    ) -> Paginated[Any]:
        """Iterate lazily over the items of every page of ``path``.

        ``paginator`` (default: the class's ``PAGINATOR``, RFC 8288 ``Link`` headers) finds
        each page's items and the next page's request; ``.pages()`` on the result yields
        whole pages. ``method`` and ``json`` make the first request another than a GET
        (``paginate(path, method="POST", json=query, paginator=BodyCursor())``); every
        next one repeats it with the paginator's changes. ``model=Issue`` builds each item.
        ``max_pages`` / ``max_items`` stop early. Rate limiting, retries and auth apply to
        every page. A next-page URL on another origin raises ``PaginationError`` unless
        ``follow_other_origins=True``, which fetches it without credentials.
        """
        return Paginated(self, path, params, model=model, **self._page_options(options))

    # -- lifecycle ------------------------------------------------------------------------

    def close(self) -> None:
        """Release every pooled connection (a ``with_options`` client leaves them open)."""
        if self._owns_transport:
            self.transport.close()

    def __enter__(self: _Client) -> _Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class APIClient_SharedSecret(SharedSecretClient, APIClient):
    """The seed's client for an API keyed by a shared secret in the query string.

    ``API_KEY_PARAM`` names the parameter; see ``SharedSecretClient``.
    """


def _model_in(more_params: dict[str, Any]) -> Any:
    """Take ``model`` out of ``call``'s keyword parameters if it is a type, not a value."""
    from apiclient.decoders import is_model

    candidate = more_params.get("model")
    if candidate is not None and is_model(candidate):
        del more_params["model"]
        return candidate
    return None


__all__ = ["APIClient", "APIClient_SharedSecret", "RequestOptions"]
