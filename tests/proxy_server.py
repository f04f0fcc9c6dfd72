"""A small forwarding and CONNECT proxy on loopback that records what it is asked.

Plain http: the request (absolute-form) is rewritten to origin-form, sent to the origin
without ``Proxy-Authorization`` and with ``Connection: close``, and the answer piped back.
https: ``CONNECT host:port`` opens a tunnel and bytes are piped both ways, unread.
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .threaded_listener import ThreadedListener


@dataclass
class Seen:
    """One request as the proxy received it: its request line and headers (lowercased)."""

    line: str
    headers: dict[str, str] = field(default_factory=dict)


class ProxyServer(ThreadedListener):
    """``with ProxyServer() as proxy:`` then ``proxy.url``; ``proxy.seen`` lists requests."""

    def __init__(self) -> None:
        super().__init__()
        self.url = f"http://127.0.0.1:{self.port}"
        self.seen: list[Seen] = []

    def _serve(self, client: socket.socket) -> None:
        with client:
            head = _read_head(client)
            if head is None:
                return
            line, headers, rest = head
            self.seen.append(Seen(line, headers))
            method, target, _ = line.split(" ", 2)
            if method == "CONNECT":
                host, _, port = target.rpartition(":")
                with socket.create_connection((host, int(port))) as origin:
                    self._keep(origin)
                    client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    pipe_both(client, origin, rest)
                return
            parts = urlsplit(target)
            hop_by_hop = ("proxy-authorization", "connection", "proxy-connection")
            kept = [f"{k}: {v}" for k, v in headers.items() if k not in hop_by_hop]
            request = "\r\n".join([f"{method} {parts.path or '/'}"
                                   + (f"?{parts.query}" if parts.query else "") + " HTTP/1.1",
                                   *kept, "Connection: close", "", ""])  # fmt: skip
            with socket.create_connection((parts.hostname, parts.port or 80)) as origin:
                origin.sendall(request.encode() + rest)
                while data := origin.recv(65536):
                    client.sendall(data)


def _read_head(sock: socket.socket) -> tuple[str, dict[str, str], bytes] | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    line, *fields = head.decode("latin-1").split("\r\n")
    headers = {}
    for item in fields:
        name, _, value = item.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        rest += sock.recv(65536)
    return line, headers, rest


def pipe_both(a: socket.socket, b: socket.socket, first: bytes) -> None:
    if first:
        b.sendall(first)
    done = threading.Event()

    def pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            done.set()

    threading.Thread(target=pump, args=(b, a), daemon=True).start()
    pump(a, b)
    done.wait(10)
