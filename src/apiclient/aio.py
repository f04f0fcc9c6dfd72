"""``AsyncAPIClient``: the same framework for asyncio, on the same transport-free core.

Every call runs the very same flow as ``APIClient`` (``ClientCore._call_flow`` and
``flow.exchange``), driven by ``driver.run_async`` over ``AiohttpTransport``; redirects,
credential dropping, retries, ``Retry-After``, deadlines, errors, header checks, models,
logging and redaction therefore behave identically. The seed's hooks (``_compose_url``,
``_handle_response``) stay sync methods. Use it as ``async with MyClient() as api:`` (or
``await api.aclose()``) so its connections close in the event loop that opened them.
The overloads are ``APIClient``'s, each result a coroutine.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Generator, Mapping
from functools import partial
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
    _Unset,
    event_options,
    with_headers,
)
from apiclient.client import _model_in
from apiclient.defaults import ASYNC_POOL_MAXSIZE
from apiclient.driver import is_coroutine_function
from apiclient.effects import Effect
from apiclient.flow import Exchange
from apiclient.models import Request
from apiclient.pagination import AsyncPaginated
from apiclient.policies.retries import RetryPolicy
from apiclient.policies.timeouts import TimeoutLike
from apiclient.policies.urls import Params
from apiclient.sse import AsyncEventStream, ServerSentEvent
from apiclient.streaming import AsyncStreamContext, AsyncStreamedResponse
from apiclient.transports.proxies import Proxies
from apiclient.transports.tls import TLSOptions
from apiclient.verbs import AsyncRequestVerb, AsyncVerb, request_verb, verb

if TYPE_CHECKING:
    from apiclient.transports.base import AsyncTransport


_AsyncClient = TypeVar("_AsyncClient", bound="AsyncAPIClient")
T = TypeVar("T")
V = TypeVar("V")
#: The seed's hooks (and the status hook): called without ``await``, so never coroutines.
_SYNC_HOOKS = ("_compose_url", "_handle_response", "_raise_for_status", "error_code")


class AsyncAPIClient(ClientCore):
    """Base class for an asyncio API client library; ``APIClient``'s surface with ``await``.

    Takes the same arguments as ``APIClient``; ``transport`` defaults to
    ``AiohttpTransport`` (extra ``apiclient[async]``) and ``sleep`` must be awaitable.
    """

    transport: AsyncTransport
    POOL_MAXSIZE = ASYNC_POOL_MAXSIZE
    _AWAITS = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Refuse ``async def`` seed hooks at once: awaited calls would return coroutines."""
        super().__init_subclass__(**kwargs)
        for hook in _SYNC_HOOKS:
            if is_coroutine_function(getattr(cls, hook)):
                raise TypeError(
                    f"{cls.__name__}.{hook} must be a plain method (def, not async def): "
                    "the hooks of AsyncAPIClient run between awaits and do no I/O"
                )

    def _default_transport(self, pool_maxsize: int, tls: TLSOptions, proxies: Proxies) -> Any:
        from apiclient.transports.aiohttp import AiohttpTransport

        return AiohttpTransport(pool_maxsize=pool_maxsize, tls=tls, proxies=proxies)

    def _set_transport(self, transport: Any, compress: bool) -> None:
        """Refuse a sync transport (``CurlTransport``, ``Urllib3Transport``) at once."""
        if not is_coroutine_function(getattr(transport, "send", None)):
            raise TypeError(
                f"AsyncAPIClient needs an async transport (AiohttpTransport, "
                f"AsyncMockTransport), not {type(transport).__name__}: use APIClient for it"
            )
        super()._set_transport(transport, compress)

    def _default_sleep(self) -> Any:
        import asyncio  # on first use: asyncio costs ~30 ms to import

        return asyncio.sleep

    def _run(self, flow: Generator[Effect, Any, V]) -> Coroutine[Any, Any, V]:
        """The coroutine that drives a flow to its value with this client's transport."""
        transport = self.transport if not _intercept.active else intercepted(self, self.transport)
        return driver.run_async(flow, transport, self._sleep)

    # -- the seed's API -------------------------------------------------------------------

    @overload
    def call(
        self, path: str, params: Params | None = None, *, model: type[T]
    ) -> Coroutine[Any, Any, T]: ...
    @overload
    def call(
        self, path: str, params: Params | None = None, **more_params: Any
    ) -> Coroutine[Any, Any, Any]: ...
    def call(
        self, path: str, params: Params | None = None, **more_params: Any
    ) -> Coroutine[Any, Any, Any]:
        """GET ``path`` with query parameters and return the decoded body (the seed's call)."""
        model = _model_in(more_params)
        call = CallOptions(params=call_params(params, more_params), model=model)
        return self._run(self._call_flow("GET", path, call))

    async def _request(self, method: str, path: str, params: Params | None = None) -> Any:
        """The seed's internal entry point, kept for subclasses that call it."""
        return await self.request(method, path, params=params)

    # -- verbs: one implementation for both clients (apiclient.verbs), typed per client ----

    request: AsyncRequestVerb = request_verb(
        "Send ``method path``; see ``APIClient.request``. Await the coroutine it returns.\n\n"
        "Like every verb, it returns the driver's coroutine rather than wrapping it in one\n"
        "more: every frame between a task and the socket costs on each resumption."
    )
    get: AsyncVerb = verb("GET", "GET ``path``; see ``request`` for the options.")
    post: AsyncVerb = verb(
        "POST", "POST ``path`` (retried after a 429, otherwise only with an idempotency key)."
    )
    put: AsyncVerb = verb("PUT", "PUT ``path``; see ``request`` for the options.")
    patch: AsyncVerb = verb(
        "PATCH", "PATCH ``path`` (retried after a 429, otherwise only with an idempotency key)."
    )
    delete: AsyncVerb = verb("DELETE", "DELETE ``path``; see ``request`` for the options.")
    head: AsyncVerb = verb(
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
    ) -> AsyncStreamContext:
        """Send a request; its response comes with the body unread.

        ``async with api.stream("GET", path) as download:`` (the body is released when the
        block ends), or ``download = await api.stream(...)`` and ``await download.aclose()``.
        See ``APIClient.stream``.
        """
        call = CallOptions(
            params=params, json=json, data=data, headers=headers, timeout=timeout,
            retries=retries, max_body_bytes=max_body_bytes,
        )  # fmt: skip
        return AsyncStreamContext(
            self._open_stream(partial(self._stream_start, method, path, call))
        )

    async def _open_stream(
        self, start: Callable[[], tuple[Request, Exchange]]
    ) -> AsyncStreamedResponse:
        """Build the request and run its loop, once awaited; raise an error status.

        Built when awaited, as the verbs' requests are: a bad argument raises there.
        """
        request, flow = start()
        response = await self._run(flow)
        if response.status >= 400:
            response.data = await AsyncStreamedResponse(response).read()
            response.stream = None
            self._check_status(response, request)
        return AsyncStreamedResponse(response, self.decoder)

    @overload
    def events(
        self, method: str, path: str, *, model: None = None, **options: Unpack[EventOptions]
    ) -> AsyncEventStream[ServerSentEvent]: ...
    @overload
    def events(
        self, method: str, path: str, *, model: type[T], **options: Unpack[EventOptions]
    ) -> AsyncEventStream[T]: ...
    def events(
        self, method: str, path: str, *, model: Any = None, **options: Any
    ) -> AsyncEventStream[Any]:
        """``APIClient.events`` for asyncio, read with ``async with`` and ``async for``.

        ``async with api.events("GET", "/feed") as events: async for event in events: ...``
        (or ``async for`` over the call itself, which closes nothing until exhausted).
        """
        opening, rules = event_options(method, options, model)

        async def open_stream(extra: Mapping[str, str]) -> AsyncStreamedResponse:
            return await self.stream(method, path, **with_headers(opening, extra))

        return AsyncEventStream(open_stream, self._sleep, **rules)

    @overload
    def paginate(
        self,
        path: str,
        params: Params | None = None,
        *,
        model: type[T],
        **options: Unpack[PageOptions],
    ) -> AsyncPaginated[T]: ...
    @overload
    def paginate(
        self,
        path: str,
        params: Params | None = None,
        *,
        model: None = None,
        **options: Unpack[PageOptions],
    ) -> AsyncPaginated[Any]: ...
    def paginate(
        self, path: str, params: Params | None = None, *, model: Any = None, **options: Any
    ) -> AsyncPaginated[Any]:
        """``async for item in api.paginate(path)``; see ``APIClient.paginate``."""
        return AsyncPaginated(self, path, params, model=model, **self._page_options(options))

    async def aclose(self) -> None:
        """Close the connections, in the event loop that opened them.

        That includes what its limiters opened in this loop (a ``RedisRateLimiter``'s
        ``redis.asyncio`` pool, every bucket's), which cannot outlive the loop; used again,
        they reconnect. A ``with_options`` client leaves the shared connections open.
        """
        if not self._owns_transport:
            return
        await self.transport.aclose()
        for limiter in self.rate_limits.limiters():
            close_limiter = getattr(limiter, "aclose", None)
            if close_limiter is not None:
                await close_limiter()

    async def close(self) -> None:
        """``aclose()`` under the sync client's name (as aiohttp's session spells it)."""
        await self.aclose()  # (a call, not an alias: a subclass's own aclose is honoured)

    async def __aenter__(self: _AsyncClient) -> _AsyncClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


class AsyncAPIClient_SharedSecret(SharedSecretClient, AsyncAPIClient):
    """``APIClient_SharedSecret`` for asyncio: the key goes in the ``API_KEY_PARAM`` parameter.

    As in the sync client it goes only to ``BASE_URL``'s origin, and never into logs.
    """


__all__ = ["AsyncAPIClient", "AsyncAPIClient_SharedSecret"]
