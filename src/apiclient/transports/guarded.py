"""urllib3 connections whose every read and write ends by the call's deadline.

urllib3's timeouts bound each socket operation, not the exchange: a server dripping one
byte every 0.1 s keeps the status line, the headers, a ``100 Continue`` or the trailers
coming forever, and ``http.client`` takes a header block cut short by the server closing
the connection for a complete one. Here the connection hands ``http.client`` a
``GuardedSocket`` for the length of one response: before each receive it narrows the
socket's timeout to what is left of the deadline, and it notes an end of stream, so that
an unterminated header block is refused (``MalformedResponse``) instead of taken for a
success. Sends are narrowed the same way. The deadline of the exchange in progress is
set per thread by the transport (``exchange_deadline``); a streamed response drops it
once its headers are in (``GuardedSocket.relax``), since its body is read at the
caller's pace.
"""

from __future__ import annotations

import http.client
import io
import socket
import threading
import time
from typing import Any

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from apiclient.transports.framing import framing_problem

_monotonic = time.monotonic


class DeadlinePassed(TimeoutError):
    """The call's total time limit passed during a socket operation."""


class MalformedResponse(http.client.HTTPException):
    """The server's response is not well-formed HTTP/1.1 (its text says how)."""


class _Exchange(threading.local):
    """The exchange in progress on this thread: its deadline, and the response's socket."""

    deadline: float | None = None
    guard: GuardedSocket | None = None


exchange: _Exchange = _Exchange()


class GuardedSocket:
    """A socket seen through the deadline of one exchange (see the module docstring)."""

    __slots__ = ("_read_timeout", "_sock", "deadline", "ended")

    def __init__(self, sock: Any, deadline: float | None, read_timeout: float | None) -> None:
        self._sock = sock
        self._read_timeout = read_timeout
        self.deadline = deadline
        #: The server closed the stream (a receive returned nothing).
        self.ended: bool = False

    def recv_into(self, buffer: Any, nbytes: int = 0) -> int:
        """Receive like the socket does, but never past the deadline."""
        narrowed = False
        if self.deadline is not None:
            remaining = self.deadline - _monotonic()
            if remaining <= 0:
                raise DeadlinePassed("the call's total time limit passed")
            if self._read_timeout is None or remaining < self._read_timeout:
                self._sock.settimeout(remaining)
                narrowed = True
        try:
            received: int = self._sock.recv_into(buffer, nbytes)
        except TimeoutError:
            if narrowed:  # it was the deadline, not the time between reads, that ran out
                raise DeadlinePassed("the call's total time limit passed") from None
            raise
        if not received:
            self.ended = True
        return received

    def relax(self) -> None:
        """Drop the deadline (a streamed body is read at the caller's pace)."""
        self.deadline = None
        self._sock.settimeout(self._read_timeout)

    def makefile(self, mode: str = "rb", buffering: int = -1, **_: Any) -> io.BufferedReader:
        """A buffered reader over this guard (``http.client`` reads a response through it)."""
        if mode != "rb":  # pragma: no cover - http.client only ever asks for "rb"
            raise ValueError("a guarded socket only reads responses")
        self._sock._io_refs += 1  # as socket.makefile counts it: closed when the last goes
        size = io.DEFAULT_BUFFER_SIZE if buffering in (-1, 0) else buffering
        return io.BufferedReader(socket.SocketIO(self, "rb"), size)  # type: ignore[arg-type]

    def _decref_socketios(self) -> None:
        self._sock._decref_socketios()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


def narrow_send(sock: Any, timeout: float | None) -> None:
    """Narrow ``sock``'s timeout so that a send ends by the thread's exchange deadline."""
    deadline = exchange.deadline
    if deadline is None or sock is None:
        return
    remaining = deadline - _monotonic()
    if remaining <= 0:
        raise DeadlinePassed("the call's total time limit passed while sending")
    if timeout is None or remaining < timeout:
        sock.settimeout(remaining)


def guarded_response(connection: Any, read: Any) -> Any:
    """Run ``read()`` (http.client's ``getresponse``) with the connection's socket guarded."""
    real = connection.sock
    guard = GuardedSocket(real, exchange.deadline, connection.timeout)
    connection.sock = guard
    try:
        response = read()
    finally:
        if connection.sock is guard:  # (http.client sets None when it closes the connection)
            connection.sock = real
    if guard.ended:
        response.close()
        raise MalformedResponse("the server closed the connection inside the header block")
    check_framing(response)
    exchange.guard = guard
    return response


def check_framing(response: Any) -> None:
    """Refuse framing a strict HTTP/1.1 client must not guess at (``framing_problem``).

    ``response`` is urllib3's; its ``headers`` hold every value as the server sent it.
    """
    problem = framing_problem(response.headers.iteritems())
    if problem is not None:
        response.close()
        raise MalformedResponse(problem)


class Guarding:
    """What a guarded connection adds to urllib3's (a mixin for both schemes, and SOCKS)."""

    sock: Any
    timeout: Any

    def send(self, data: Any) -> None:
        """Send, narrowed to the deadline."""
        narrow_send(self.sock, self.timeout)
        super().send(data)  # type: ignore[misc]

    def getresponse(self) -> Any:
        """Read the response head with the socket guarded."""
        return guarded_response(self, super().getresponse)  # type: ignore[misc]


class GuardedHTTPConnection(Guarding, HTTPConnection):
    """urllib3's HTTP connection, guarded by the exchange's deadline."""


class GuardedHTTPSConnection(Guarding, HTTPSConnection):
    """urllib3's HTTPS connection, guarded by the exchange's deadline."""


class GuardedHTTPPool(HTTPConnectionPool):
    """An HTTP pool of guarded connections."""

    ConnectionCls = GuardedHTTPConnection  # pyright: ignore[reportAssignmentType]  # urllib3's protocol is stricter than its classes


class GuardedHTTPSPool(HTTPSConnectionPool):
    """An HTTPS pool of guarded connections."""

    ConnectionCls = GuardedHTTPSConnection  # pyright: ignore[reportAssignmentType]  # (as above)


class QuietlyUnverified:
    """For an HTTPS pool of ``verify=False``: the client warned once, urllib3 need not each call."""

    def _validate_conn(self, conn: Any) -> None:
        HTTPConnectionPool._validate_conn(self, conn)  # type: ignore[arg-type]
        if conn.is_closed:
            conn.connect()
