"""The transport protocol: one HTTP exchange per call, no redirects, no retries."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from apiclient.models import Request, Response
from apiclient.policies.timeouts import Timeouts


@runtime_checkable
class Transport(Protocol):
    """Sends one request and returns the complete response.

    A transport follows no redirects and retries nothing: the client's core decides those.
    It raises only apiclient errors: ``ConnectError`` when nothing was sent, ``Timeout``,
    ``ProtocolError``, ``ResponseTooLarge`` when the decoded body passes ``max_body_bytes``.
    It must be safe to call from several threads at once, and ``close()`` releases every
    connection it holds.
    """

    def send(
        self, request: Request, *, timeout: Timeouts, max_body_bytes: int, stream: bool = False
    ) -> Response:
        """Perform one exchange, honouring the per-phase ``timeout`` and its ``total``.

        With ``stream``, return once the headers are in: the body is left unread in
        ``response.stream`` (bounded by ``max_body_bytes`` as it is read).
        """
        ...

    def close(self) -> None:
        """Release pooled connections. The transport may not be used afterwards."""
        ...


@runtime_checkable
class AsyncTransport(Protocol):
    """The asyncio twin of ``Transport``: ``await send(...)`` and ``await aclose()``."""

    async def send(
        self, request: Request, *, timeout: Timeouts, max_body_bytes: int, stream: bool = False
    ) -> Response:
        """Perform one exchange (see ``Transport.send``)."""
        ...

    async def aclose(self) -> None:
        """Release every connection."""
        ...
