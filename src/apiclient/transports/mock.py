"""Transports that call a function instead of the network, for unit tests of pure logic.

    def handler(request):
        return Response(200, {"Content-Type": "application/json"}, b'{"ok": true}')

    api = AcmeClient(transport=MockTransport(handler))
    api = AsyncAcmeClient(transport=AsyncMockTransport(handler))   # the asyncio twin

The handler may raise apiclient errors (``ConnectError``, ``ReadTimeout``...) to simulate
network faults; ``AsyncMockTransport`` also takes an ``async def`` handler. Every request
given is kept in ``requests``.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import AsyncIterator, Awaitable, Callable

from apiclient.errors import ResponseTooLarge
from apiclient.models import AsyncBodyStream, BodyStream, Request, Response
from apiclient.policies.timeouts import Timeouts

Handler = Callable[[Request], Response]
AsyncHandler = Callable[[Request], "Response | Awaitable[Response]"]


class _Recorder:
    """What both mock transports do: record each request, check the handler's response."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: list[Request] = []
        self.closed = False

    def _record(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)

    @staticmethod
    def _checked(response: Response, request: Request, max_body_bytes: int) -> Response:
        if len(response.data) > max_body_bytes:
            raise ResponseTooLarge(f"response body exceeds {max_body_bytes} bytes")
        if not response.url:
            response.url = request.url
        return response


class MockTransport(_Recorder):
    """Answer every request with ``handler(request)``; record the requests."""

    def __init__(self, handler: Handler) -> None:
        super().__init__()
        self._handler = handler

    def send(
        self, request: Request, *, timeout: Timeouts, max_body_bytes: int, stream: bool = False
    ) -> Response:
        """Record ``request`` and return the handler's response."""
        self._record(request)
        response = self._checked(self._handler(request), request, max_body_bytes)
        if stream and response.stream is None:
            response.stream = BodyStream(iter((response.data,) if response.data else ()), _noop)
            response.data = b""
        return response

    def close(self) -> None:
        """Mark the transport closed."""
        self.closed = True


class AsyncMockTransport(_Recorder):
    """``MockTransport`` for ``AsyncAPIClient``: the handler may be ``async def`` or plain."""

    def __init__(self, handler: AsyncHandler) -> None:
        super().__init__()
        self._handler = handler

    async def send(
        self, request: Request, *, timeout: Timeouts, max_body_bytes: int, stream: bool = False
    ) -> Response:
        """Record ``request`` and return (awaiting it if need be) the handler's response."""
        self._record(request)
        answer = self._handler(request)
        response = await answer if inspect.isawaitable(answer) else answer
        response = self._checked(response, request, max_body_bytes)
        if stream and response.stream is None:
            response.stream = AsyncBodyStream(_chunks(response.data), _noop)
            response.data = b""
        return response

    async def aclose(self) -> None:
        """Mark the transport closed."""
        self.closed = True


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    if data:
        yield data


def _noop() -> None:
    """Nothing to release."""
