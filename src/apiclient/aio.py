"""``AsyncAPIClient``: the same framework for asyncio, on the same transport-free core.

Every call runs the very same request loop as ``APIClient`` (``flow.exchange``), driven by
``driver.run_async`` over ``AiohttpTransport``; redirects, credential dropping, retries,
``Retry-After``, deadlines, errors, header checks, logging and redaction therefore behave
identically. The seed's hooks (``_compose_url``, ``_handle_response``) stay sync methods.
Use it as ``async with MyClient() as api:`` (or ``await api.aclose()``) so its connections
close in the event loop that opened them.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from apiclient import driver
from apiclient._core import UNSET, ClientCore, RequestOptions, SharedSecretClient, _Unset
from apiclient.flow import Exchange
from apiclient.models import Request, Response
from apiclient.multipart import FileSpec
from apiclient.pagination import AsyncPaginated
from apiclient.policies.pagination import Paginator
from apiclient.policies.retries import RetryPolicy
from apiclient.policies.timeouts import TimeoutLike
from apiclient.policies.urls import Params
from apiclient.streaming import AsyncStreamContext, AsyncStreamedResponse

if TYPE_CHECKING:
    from typing import Unpack

    from apiclient.transports.base import AsyncTransport


_AsyncClient = TypeVar("_AsyncClient", bound="AsyncAPIClient")
#: The seed's hooks (and the status hook): called without ``await``, so never coroutines.
_SYNC_HOOKS = ("_compose_url", "_handle_response", "_raise_for_status")


class AsyncAPIClient(ClientCore):
    """Base class for an asyncio API client library; ``APIClient``'s surface with ``await``.

    Takes the same arguments as ``APIClient``; ``transport`` defaults to
    ``AiohttpTransport`` (extra ``apiclient[async]``) and ``sleep`` must be awaitable.
    """

    transport: AsyncTransport

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Refuse ``async def`` seed hooks at once: awaited calls would return coroutines."""
        super().__init_subclass__(**kwargs)
        for hook in _SYNC_HOOKS:
            if inspect.iscoroutinefunction(getattr(cls, hook)):
                raise TypeError(
                    f"{cls.__name__}.{hook} must be a plain method (def, not async def): "
                    "the hooks of AsyncAPIClient run between awaits and do no I/O"
                )

    def _default_transport(self, pool_maxsize: int, verify: bool, ca_certs: str | None) -> Any:
        from apiclient.transports.aiohttp import AiohttpTransport

        return AiohttpTransport(pool_maxsize=pool_maxsize, verify=verify, ca_certs=ca_certs)

    def _default_sleep(self) -> Any:
        import asyncio  # on first use: asyncio costs ~30 ms to import

        return asyncio.sleep

    def call(
        self, path: str, params: Params | None = None, **more_params: Any
    ) -> Coroutine[Any, Any, Any]:
        """GET ``path`` with query parameters and return the decoded body (the seed's call).

        Like the verbs, it returns ``request``'s coroutine rather than wrapping it in one
        more: every frame between a task and the socket costs on each resumption.
        """
        return self.request("GET", path, params=self._call_params(params, more_params))

    async def _request(self, method: str, path: str, params: Params | None = None) -> Any:
        """The seed's internal entry point, kept for subclasses that call it."""
        return await self.request(method, path, params=params)

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
    ) -> Coroutine[Any, Any, Any]:
        """Send ``method path``; see ``APIClient.request``. Await the coroutine it returns."""
        flow = self._call_flow(
            method, path, params, json, data, files, headers,
            timeout, retries, max_body_bytes, idempotency_key, raw,
        )  # fmt: skip
        return driver.run_async(flow, self.transport, self._sleep)

    def get(self, path: str, **options: Unpack[RequestOptions]) -> Coroutine[Any, Any, Any]:
        """GET ``path``; see ``request`` for the options."""
        return self.request("GET", path, **options)

    def post(self, path: str, **options: Unpack[RequestOptions]) -> Coroutine[Any, Any, Any]:
        """POST ``path`` (not retried unless it has an idempotency key)."""
        return self.request("POST", path, **options)

    def put(self, path: str, **options: Unpack[RequestOptions]) -> Coroutine[Any, Any, Any]:
        """PUT ``path``."""
        return self.request("PUT", path, **options)

    def patch(self, path: str, **options: Unpack[RequestOptions]) -> Coroutine[Any, Any, Any]:
        """PATCH ``path`` (not retried unless it has an idempotency key)."""
        return self.request("PATCH", path, **options)

    def delete(self, path: str, **options: Unpack[RequestOptions]) -> Coroutine[Any, Any, Any]:
        """DELETE ``path``."""
        return self.request("DELETE", path, **options)

    def head(self, path: str, **options: Unpack[RequestOptions]) -> Coroutine[Any, Any, Any]:
        """HEAD ``path``; returns None unless ``raw=True``."""
        return self.request("HEAD", path, **options)

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
    ) -> AsyncStreamContext:
        """Send a request; its response comes with the body unread.

        ``async with api.stream("GET", path) as download:`` (the body is released when the
        block ends), or ``download = await api.stream(...)`` and ``await download.aclose()``.
        See ``APIClient.stream``.
        """
        start = partial(
            self._stream_start,
            method, path, params, json, data, headers, timeout, retries, max_body_bytes,
        )  # fmt: skip
        return AsyncStreamContext(self._open_stream(start))

    async def _open_stream(
        self, start: Callable[[], tuple[Request, Exchange]]
    ) -> AsyncStreamedResponse:
        """Build the request and run its loop, once awaited; raise an error status.

        Built when awaited, as the verbs' requests are: a bad argument raises there.
        """
        request, flow = start()
        response = await driver.run_async(flow, self.transport, self._sleep)
        if response.status >= 400:
            response.data = await AsyncStreamedResponse(response).read()
            response.stream = None
            self._check_status(response, request)
        return AsyncStreamedResponse(response)

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
    ) -> AsyncPaginated:
        """``async for item in api.paginate(path)``; see ``APIClient.paginate``."""
        return AsyncPaginated(
            self,
            path,
            params,
            paginator or self.PAGINATOR,
            max_pages=max_pages,
            max_items=max_items,
            follow_other_origins=follow_other_origins,
            options={"headers": headers, "timeout": timeout, "retries": retries},
        )

    def _fetch_page(
        self, url: str, other_origins: bool, options: Mapping[str, Any]
    ) -> Coroutine[Any, Any, tuple[Any, Response]]:
        flow = self._page_flow(url, other_origins, options)
        return driver.run_async(flow, self.transport, self._sleep)

    async def aclose(self) -> None:
        """Close the connections, in the event loop that opened them.

        That includes what the rate limiter opened in this loop (a ``RedisRateLimiter``'s
        ``redis.asyncio`` pool), which cannot outlive the loop; used again, it reconnects.
        """
        await self.transport.aclose()
        close_limiter = getattr(self.rate_limit_lock, "aclose", None)
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
