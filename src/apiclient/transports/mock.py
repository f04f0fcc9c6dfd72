"""A transport that calls a function instead of the network, for unit tests of pure logic.

    def handler(request):
        return Response(200, {"Content-Type": "application/json"}, b'{"ok": true}')

    api = AcmeClient(transport=MockTransport(handler))

The handler may raise apiclient errors (``ConnectError``, ``ReadTimeout``...) to simulate
network faults. Every request it was given is kept in ``requests``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from apiclient.errors import ResponseTooLarge
from apiclient.models import BodyStream, Request, Response
from apiclient.policies.timeouts import Timeouts

Handler = Callable[[Request], Response]


class MockTransport:
    """Answer every request with ``handler(request)``; record the requests."""

    def __init__(self, handler: Handler) -> None:
        self._handler = handler
        self._lock = threading.Lock()
        self.requests: list[Request] = []
        self.closed = False

    def send(
        self, request: Request, *, timeout: Timeouts, max_body_bytes: int, stream: bool = False
    ) -> Response:
        """Record ``request`` and return the handler's response."""
        with self._lock:
            self.requests.append(request)
        response = self._handler(request)
        if len(response.data) > max_body_bytes:
            raise ResponseTooLarge(f"response body exceeds {max_body_bytes} bytes")
        if not response.url:
            response.url = request.url
        if stream and response.stream is None:
            response.stream = BodyStream(iter((response.data,) if response.data else ()), _noop)
            response.data = b""
        return response

    def close(self) -> None:
        """Mark the transport closed."""
        self.closed = True


def _noop() -> None:
    """Nothing to release."""
