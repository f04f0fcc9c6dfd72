"""aiohttp's response protocol, with the length of chunked framing lines watched.

Imported with aiohttp (``apiclient[async]``). ``strict_connector`` makes the
``TCPConnector`` whose connections speak through ``StrictResponseHandler``: aiohttp's own
handler, which also hands the raw bytes of a chunked response to ``ChunkLines`` (see that
module for why). Only a chunked response is watched; any other costs a list append per
read. A framing line over the limit fails the response's body with ``ChunkFramingError``
(a ``ClientPayloadError``, so the transport reports a ``ProtocolError``) and closes the
connection. ``_factory`` is a private attribute of aiohttp's connector: the tests notice
if that changes.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
from typing import Any

from aiohttp import ClientPayloadError, TCPConnector
from aiohttp.client_proto import ResponseHandler

from apiclient.transports.chunk_lines import ChunkLines


class ChunkFramingError(ClientPayloadError):
    """A chunked response's framing broke a limit (the text says which)."""


class StrictResponseHandler(ResponseHandler):
    """``ResponseHandler`` that refuses over-long chunk framing lines."""

    _head_blocks: list[bytes] | None = None  # the reads of the head, until it is parsed
    _lines: ChunkLines | None = None  # the framing reader of a chunked response
    _pending: bytes = b""  # what it must read first: the head and what came with it

    def set_response_params(self, **options: Any) -> None:
        """A new exchange on this connection: watch its response from the first byte."""
        self._head_blocks, self._lines, self._pending = [], None, b""
        super().set_response_params(**options)

    def data_received(self, data: bytes) -> None:
        """Parse as aiohttp does; then measure a chunked response's framing."""
        blocks = self._head_blocks
        if blocks is not None and data:
            blocks.append(data)
        super().data_received(data)
        lines = self._lines
        if lines is None or not data:
            return
        fed, self._pending = (self._pending or data), b""
        problem = lines.feed(fed)
        if problem is not None:
            self._refuse(problem)
        elif not lines.watching:
            self._lines = None

    def feed_data(self, data: Any, size: int = 0) -> None:
        """A response head was parsed: watch its body if it is chunked."""
        message = data[0]
        if self._head_blocks is not None and not 100 <= message.code < 200:
            if message.chunked and not self._skip_payload:
                self._lines = ChunkLines()
                self._pending = b"".join(self._head_blocks)
            self._head_blocks = None
        super().feed_data(data, size)

    def _refuse(self, problem: str) -> None:
        self._lines = None
        self._should_close = True
        error = ChunkFramingError(problem)
        payload = self._payload
        if payload is not None:
            payload.set_exception(error)
        else:  # pragma: no cover - a chunked response always has a payload
            self.set_exception(error)
        if self.transport is not None:
            self.transport.close()


def strict_connector(limit: int, tls: ssl.SSLContext | bool) -> TCPConnector:
    """A connector for the running loop whose connections use ``StrictResponseHandler``."""
    connector = TCPConnector(limit=limit, ssl=tls)
    loop = asyncio.get_running_loop()
    connector._factory = functools.partial(StrictResponseHandler, loop=loop)  # type: ignore[assignment]
    return connector
