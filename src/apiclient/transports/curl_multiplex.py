"""HTTP/2 for ``CurlTransport(http2=True)``: the calls of every thread on shared connections.

libcurl multiplexes transfers on one connection only when they run in one multi handle,
and a multi handle is not for several threads. So one driver thread owns it: a calling
thread sets its own handle up, hands it over, and waits for the exchange to end; the driver
runs libcurl's socket interface on a selector (with a socket pair to be woken by callers)
and hands each finished handle back. ``PIPEWAIT`` makes a new transfer wait for the
connection being opened to the origin rather than open another, so concurrent calls to
one origin share one connection (up to ``pool_maxsize`` per origin if the server caps
its streams). Streamed bodies, read at the caller's pace, run on the calling thread.
"""

from __future__ import annotations

import collections
import contextlib
import selectors
import socket
import threading
import time
from typing import TYPE_CHECKING, Any

import pycurl

from apiclient.errors import ProtocolError

if TYPE_CHECKING:
    from apiclient.transports.curl import Lane

_EVENTS = {
    pycurl.POLL_IN: selectors.EVENT_READ,
    pycurl.POLL_OUT: selectors.EVENT_WRITE,
    pycurl.POLL_INOUT: selectors.EVENT_READ | selectors.EVENT_WRITE,
}


class Multiplexer:
    """The driver thread and its multi handle (see the module docstring)."""

    def __init__(self, max_host_connections: int) -> None:
        multi = self._multi = pycurl.CurlMulti()
        multi.setopt(pycurl.M_PIPELINING, pycurl.PIPE_MULTIPLEX)
        multi.setopt(pycurl.M_MAX_HOST_CONNECTIONS, max_host_connections)
        multi.setopt(pycurl.M_SOCKETFUNCTION, self._on_socket)
        multi.setopt(pycurl.M_TIMERFUNCTION, self._on_timer)
        self._selector = selectors.DefaultSelector()
        self._wake_in, self._wake_out = socket.socketpair()
        self._wake_in.setblocking(False)
        self._selector.register(self._wake_in, selectors.EVENT_READ)
        self._incoming: collections.deque[Lane] = collections.deque()
        self._running: dict[Any, Lane] = {}
        self._timer_at: float | None = None  # when libcurl wants its timeout action
        self._closed = False
        self._thread = threading.Thread(target=self._drive, name="apiclient-curl-h2", daemon=True)
        self._thread.start()

    def perform(self, lane: Lane) -> int:
        """Run ``lane``'s prepared exchange on the shared connections; libcurl's result code."""
        if self._closed:
            raise RuntimeError("the transport is closed")
        lane.finished.clear()
        self._incoming.append(lane)
        self._wake()
        lane.finished.wait()
        return lane.result

    def close(self) -> None:
        """Stop the driver; transfers still running end with a ``ProtocolError``."""
        self._closed = True
        self._wake()
        self._thread.join()

    def _wake(self) -> None:
        with contextlib.suppress(OSError):  # full (the driver is awake anyway) or closed
            self._wake_out.send(b"\0")

    def _on_socket(self, what: int, fd: int, _multi: Any, _data: Any) -> None:
        """Libcurl says which socket to watch for what (or to forget it)."""
        selector = self._selector
        registered = fd in selector.get_map()
        if what == pycurl.POLL_REMOVE:
            if registered:
                selector.unregister(fd)
        elif registered:
            selector.modify(fd, _EVENTS[what])
        else:
            selector.register(fd, _EVENTS[what])

    def _on_timer(self, timeout_ms: int) -> None:
        self._timer_at = None if timeout_ms < 0 else time.monotonic() + timeout_ms / 1000

    def _drive(self) -> None:
        """The driver thread: wait on the sockets, let libcurl act, hand back what is done."""
        multi = self._multi
        try:
            while not self._closed:
                at = self._timer_at
                events = self._selector.select(None if at is None else at - time.monotonic())
                if at is not None and self._timer_at == at and time.monotonic() >= at:
                    self._timer_at = None
                    multi.socket_action(pycurl.SOCKET_TIMEOUT, 0)
                for key, mask in events:
                    if key.fileobj is self._wake_in:
                        self._take_incoming()
                        continue
                    flags = (pycurl.CSELECT_IN if mask & selectors.EVENT_READ else 0) | (
                        pycurl.CSELECT_OUT if mask & selectors.EVENT_WRITE else 0
                    )
                    multi.socket_action(key.fd, flags)
                self._hand_back()
        finally:
            self._shut_down()

    def _take_incoming(self) -> None:
        with contextlib.suppress(BlockingIOError):
            while self._wake_in.recv(4096):
                pass
        while self._incoming:
            lane = self._incoming.popleft()
            self._running[lane.easy] = lane
            self._multi.add_handle(lane.easy)  # (libcurl sets its timer to act on it)

    def _hand_back(self) -> None:
        while True:
            _, done, failed = self._multi.info_read()
            for easy in done:
                self._finish(easy, 0)
            for easy, code, _message in failed:
                self._finish(easy, code)
            if not done and not failed:
                return

    def _finish(self, easy: Any, code: int) -> None:
        self._multi.remove_handle(easy)
        lane = self._running.pop(easy)
        lane.result = code
        lane.finished.set()

    def _shut_down(self) -> None:
        """End every transfer still here (the driver stopped) and free the handles."""
        for lane in [*self._running.values(), *self._incoming]:
            if lane.easy in self._running:
                self._multi.remove_handle(lane.easy)
            lane.exchange.failure = ProtocolError("connection broken: the transport was closed")
            lane.result = -1
            lane.finished.set()
        self._running.clear()
        self._incoming.clear()
        self._multi.close()  # (first: closing it tells the selector to forget its sockets)
        self._selector.close()
        self._wake_in.close()
        self._wake_out.close()
