"""A fast keep-alive JSON server for the benchmarks, run in its own process.

An asyncio protocol, not http.server: the server must not be the bottleneck when wall
calls/s are compared. It counts the TCP connections it accepts in shared memory, so the
benchmark can report how many each contender opened.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import ssl
from multiprocessing.sharedctypes import Synchronized
from typing import Any

GET_BODY = json.dumps(
    {"id": 1, "name": "widget", "tags": ["a", "b"], "price": 9.5, "stock": {"eu": 3, "us": 7}}
).encode()
POST_BODY = json.dumps({"id": 2, "created": True}).encode()


def _response(body: bytes, status: bytes = b"200 OK") -> bytes:
    head = (
        b"HTTP/1.1 " + status + b"\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n"
    )
    return head + body


GET_RESPONSE = _response(GET_BODY)
POST_RESPONSE = _response(POST_BODY, b"201 Created")
#: ``GET /big``: a JSON body of about 1 MB.
BIG_RESPONSE = _response(json.dumps([{"id": i, "name": f"item {i}", "tags": ["a", "b"]}
                                     for i in range(23_000)]).encode())  # fmt: skip
#: ``GET /pages?n=K``: page K of ``PAGES``, each linking to the next (RFC 8288).
PAGES = 1000


def _page(number: int) -> bytes:
    body = json.dumps([{"id": number * 10 + i} for i in range(10)]).encode()
    link = b""
    if number < PAGES:
        link = b'Link: </pages?n=' + str(number + 1).encode() + b'>; rel="next"\r\n'
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + link
        + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )  # fmt: skip


PAGE_RESPONSES = [b""] + [_page(n) for n in range(1, PAGES + 1)]


def answer(head: bytes) -> bytes:
    """The response to a request whose head (lower-cased) is ``head``."""
    if head.startswith(b"post"):
        return POST_RESPONSE
    if head.startswith(b"get /big"):
        return BIG_RESPONSE
    if head.startswith(b"get /pages"):
        target = head.split(b" ", 2)[1]
        number = int(target.partition(b"n=")[2] or b"1")
        return PAGE_RESPONSES[number]
    return GET_RESPONSE


class JSONProtocol(asyncio.Protocol):
    """HTTP/1.1 keep-alive: answers GET with ``GET_BODY`` and POST with ``POST_BODY``."""

    def __init__(self, connections: Synchronized[int]) -> None:
        self.buffer = b""
        self.connections = connections
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        with self.connections.get_lock():
            self.connections.value += 1

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].lower()
            length = 0
            marker = head.find(b"content-length:")
            if marker >= 0:
                line_end = head.find(b"\r\n", marker)
                length = int(head[marker + 15 : line_end if line_end >= 0 else None])
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length :]
            assert self.transport is not None
            self.transport.write(answer(head))


def serve(
    port_queue: Any, connections: Synchronized[int], cert: tuple[str, str] | None = None
) -> None:
    """Serve on 127.0.0.1 until terminated; put the port on ``port_queue`` once listening.

    With ``cert`` (certificate and key files), over TLS.
    """
    context = None
    if cert is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*cert)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(
            lambda: JSONProtocol(connections), "127.0.0.1", 0, backlog=1024, ssl=context
        )
        port_queue.put(server.sockets[0].getsockname()[1])
        await server.serve_forever()

    asyncio.run(main())


class LoopbackServer:
    """Start ``serve`` in another process (over TLS with ``cert``); ``url`` and ``connections``."""

    def __init__(self, cert: tuple[str, str] | None = None) -> None:
        self.connections: Synchronized[int] = multiprocessing.Value("i", 0)
        queue: multiprocessing.Queue[int] = multiprocessing.Queue()
        self.process = multiprocessing.Process(
            target=serve, args=(queue, self.connections, cert), daemon=True
        )
        self.process.start()
        self.port = queue.get(timeout=30)
        self.url = f"{'https' if cert else 'http'}://127.0.0.1:{self.port}/"

    def opened(self) -> int:
        """TCP connections accepted so far."""
        return int(self.connections.value)

    def stop(self) -> None:
        self.process.terminate()
        self.process.join()
