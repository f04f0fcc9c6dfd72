"""A raw-socket server on loopback that answers with exactly the bytes a test gives it.

``FakeServer`` speaks correct HTTP; a fault needs a server that does not: one that drips a
header block, closes inside it, sends two framings at once or a 70 KB chunk line. Each
connection reads one request head, then runs the test's ``script(send, request)``; the
script sends bytes (``send``) and may pause between them with ``pause(seconds)``, which
returns early when the server stops. Scripts are behaviour, not synchronisation.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable
from typing import Any

Script = Callable[["Connection", bytes], None]


class Connection:
    """One accepted connection, as a script sees it."""

    def __init__(self, sock: socket.socket, stopping: threading.Event) -> None:
        self._sock = sock
        self._stopping = stopping

    def send(self, data: bytes) -> None:
        self._sock.sendall(data)

    def pause(self, seconds: float) -> bool:
        """Wait ``seconds`` (a drip's pace); False if the server is stopping."""
        return not self._stopping.wait(seconds)


class RawServer:
    """Serve every connection with ``script``; count requests (``requests``)."""

    def __init__(self, script: Script) -> None:
        self._script = script
        self._stopping = threading.Event()
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self.requests: list[bytes] = []
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._acceptor = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> RawServer:
        self._acceptor.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stopping.set()
        with contextlib.suppress(OSError):  # wakes the thread blocked in accept()
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        with self._lock:
            for sock in self._sockets:
                _close(sock)
        self._acceptor.join(10)
        for thread in self._threads:
            thread.join(10)

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self._sockets.append(sock)
            thread = threading.Thread(target=self._serve, args=(sock,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, sock: socket.socket) -> None:
        try:
            while not self._stopping.is_set():
                head = _read_head(sock)
                if head is None:
                    return
                with self._lock:
                    self.requests.append(head)
                self._script(Connection(sock, self._stopping), head)
                if b"keep-alive" not in head.lower():
                    return
        except OSError:
            pass
        finally:
            _close(sock)


def _read_head(sock: socket.socket) -> bytes | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = _content_length(head)
    while len(rest) < length:  # a request body, read and dropped
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return head


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return 0


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


def answer(data: bytes) -> Script:
    """A script that sends ``data`` and closes."""

    def script(connection: Connection, request: bytes) -> None:
        connection.send(data)

    return script


def drip(prefix: bytes, unit: bytes, every: float, times: int, suffix: bytes = b"") -> Script:
    """Send ``prefix``, then ``unit`` ``times`` times, one every ``every`` s, then ``suffix``."""

    def script(connection: Connection, request: bytes) -> None:
        connection.send(prefix)
        for _ in range(times):
            if not connection.pause(every):
                return
            connection.send(unit)
        connection.send(suffix)

    return script


def walk_chain(error: BaseException) -> list[Any]:
    """Every exception reachable from ``error`` (causes, contexts, wrapped args), and args."""
    seen: list[Any] = []
    stack: list[Any] = [error]
    while stack:
        current = stack.pop()
        if any(current is s for s in seen):
            continue
        seen.append(current)
        if isinstance(current, BaseException):
            stack.extend(current.args)
            stack.extend(e for e in (current.__cause__, current.__context__) if e is not None)
    return seen
