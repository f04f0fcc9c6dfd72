"""What the small loopback servers of the tests share: a listener, a thread per client.

A subclass writes ``_serve(client)``; leaving the ``with`` block shuts every socket down,
which ends the threads blocked on them.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Self


class ThreadedListener:
    """Listens on 127.0.0.1; each accepted connection is served in a thread of its own."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []  # closed at exit, ending the threads on them

    def __enter__(self) -> Self:
        self._start(self._accept)
        return self

    def __exit__(self, *exc_info: object) -> None:
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
        self.listener.close()
        for sock in list(self._sockets):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(timeout=10)

    def _start(self, target: object, *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)  # type: ignore[arg-type]
        self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self._sockets.append(client)
            self._start(self._serve, client)

    def _keep(self, sock: socket.socket) -> None:
        """Shut ``sock`` down on leaving too (an upstream connection, say)."""
        self._sockets.append(sock)

    def _serve(self, client: socket.socket) -> None:
        raise NotImplementedError
