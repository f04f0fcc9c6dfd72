"""A small SOCKS5 proxy on loopback (RFC 1928, user/password per RFC 1929) that records.

``with SocksServer(credentials=("alice", "s3cret")) as proxy:`` then ``proxy.url``;
``proxy.seen`` lists each tunnel asked for: the user name given, the destination as the
client named it (a host name when the proxy is to resolve it, else an address), the port.
Anything else (a wrong password, an unknown command) is refused as RFC 1928 says.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass

from .proxy_server import pipe_both
from .threaded_listener import ThreadedListener


@dataclass
class Tunnel:
    username: str | None
    host: str
    port: int


class SocksServer(ThreadedListener):
    def __init__(self, credentials: tuple[str, str] | None = None) -> None:
        super().__init__()
        self.credentials = credentials
        self.url = f"socks5://127.0.0.1:{self.port}"
        self.seen: list[Tunnel] = []
        self.refused = 0

    def _serve(self, client: socket.socket) -> None:
        with client:
            try:
                username = self._greet(client)
                if username is False:
                    return
                self._tunnel(client, username)
            except (OSError, ValueError):
                return

    def _greet(self, client: socket.socket) -> str | bool | None:
        """The method negotiation and (if asked for) the login; False when refused.

        A refusal is counted before it is sent: the client may look as soon as it reads it.
        """
        version, count = _exactly(client, 2)
        methods = _exactly(client, count)
        if version != 5:
            self.refused += 1
            return False
        wanted = 2 if self.credentials else 0
        if wanted not in methods:
            self.refused += 1  # (counted before the answer: the client may look at once)
            client.sendall(b"\x05\xff")
            return False
        client.sendall(bytes([5, wanted]))
        if not wanted:
            return None
        _, length = _exactly(client, 2)
        username = _exactly(client, length).decode()
        password = _exactly(client, _exactly(client, 1)[0]).decode()
        if (username, password) != self.credentials:
            self.refused += 1
            client.sendall(b"\x01\x01")
            return False
        client.sendall(b"\x01\x00")
        return username

    def _tunnel(self, client: socket.socket, username: str | None) -> None:
        _, command, _, kind = _exactly(client, 4)
        if kind == 1:
            host = str(ipaddress.IPv4Address(_exactly(client, 4)))
        elif kind == 3:
            host = _exactly(client, _exactly(client, 1)[0]).decode()
        else:
            host = str(ipaddress.IPv6Address(_exactly(client, 16)))
        port = int.from_bytes(_exactly(client, 2), "big")
        if command != 1:  # only CONNECT
            client.sendall(b"\x05\x07\x00\x01" + bytes(6))
            return
        self.seen.append(Tunnel(username, host, port))
        address = "127.0.0.1" if host == "localhost" else host
        try:
            origin = socket.create_connection((address, port), timeout=10)
        except OSError:
            client.sendall(b"\x05\x05\x00\x01" + bytes(6))  # connection refused
            return
        with origin:
            self._keep(origin)
            client.sendall(b"\x05\x00\x00\x01" + bytes(6))
            pipe_both(client, origin, b"")


def _exactly(sock: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise ValueError("the client went away mid-handshake")
        data += chunk
    return data
