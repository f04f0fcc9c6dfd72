"""A real HTTP/2 server on loopback (hypercorn, TLS with a trustme certificate, ALPN h2).

It answers every request with a small JSON body and records, per request, the HTTP
version and the client's port: requests from one port came over one connection.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import trustme

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


class H2Server:
    """hypercorn serving on 127.0.0.1 in a thread of its own; a context manager."""

    def __init__(self, ca: trustme.CA, directory: Path) -> None:
        self._cert = ca.issue_cert("127.0.0.1", "localhost")
        self._certfile, self._keyfile = directory / "h2-cert.pem", directory / "h2-key.pem"
        self._cert.cert_chain_pems[0].write_to_path(str(self._certfile))
        self._cert.private_key_pem.write_to_path(str(self._keyfile))
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        #: ``(http_version, client_port)`` of every request, in the order they came.
        self.seen: list[tuple[str, int]] = []
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}/"

    def connections(self) -> int:
        """Connections the requests so far came over."""
        return len({port for _, port in self.seen})

    async def _app(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        self.seen.append((scope["http_version"], scope["client"][1]))
        body = json.dumps({"path": scope["path"], "version": scope["http_version"]}).encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})  # fmt: skip
        await send({"type": "http.response.body", "body": body})

    def _serve(self) -> None:
        from hypercorn.asyncio import serve
        from hypercorn.config import Config

        config = Config()
        config.bind = [f"fd://{self._listener.fileno()}"]
        config.certfile, config.keyfile = str(self._certfile), str(self._keyfile)
        config.alpn_protocols = ["h2", "http/1.1"]
        config.h2_max_concurrent_streams = 200
        config.accesslog = config.errorlog = None

        async def main() -> None:
            self._stop = asyncio.Event()
            self._loop = asyncio.get_running_loop()
            self._ready.set()
            await serve(self._app, config, shutdown_trigger=self._stop.wait)  # type: ignore[arg-type]

        asyncio.run(main())

    def __enter__(self) -> H2Server:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *_: object) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)
        self._listener.detach()  # (hypercorn closed the socket it was handed)
