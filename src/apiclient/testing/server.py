"""A fake API server on loopback, answering from a route table (see ``apiclient.testing``).

    from apiclient.testing import FakeServer, Reply

    with FakeServer({
        "GET /users/1": Reply(json={"id": 1, "name": "Ada"}),
        "POST /users": lambda request: Reply(201, json=request.json()),
        "GET /flaky": [Reply(503), Reply(json={"ok": True})],   # one reply per call
    }) as server:
        api = MyClient(base_url=server.url)
        assert api.get("/users/1")["name"] == "Ada"
        assert server.requests[-1].path == "/users/1"

A route is ``"METHOD /path"`` or ``"/path"`` (any method); a path ending in ``*`` matches by
prefix, and ``{name}`` matches one path segment (``"POST /v1/databases/{id}/query"``; the
request's ``path_params`` then holds ``{"id": ...}``). Exact routes win over patterns,
which are tried in the order they were added. With ``strict=True`` (the ``fake_server``
fixture's default) a request no route matches fails the test: it gets a 404 naming the
routes, and leaving the server raises ``AssertionError`` listing every such request;
``assert_all_called()`` fails if a route was never asked for.

A route's reply is a ``Reply``, a function of the ``RecordedRequest`` returning one, or a
list of replies served in turn (the last repeats). The server is real HTTP/1.1 with
keep-alive on 127.0.0.1, optionally TLS, and counts the TCP connections it accepts. A
``Reply`` can also misbehave: ``hang``, ``close`` before answering, ``close_after``
answering, ``delay`` or ``drip`` the body slowly.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import json as jsonlib
import re
import socket
import ssl
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from apiclient.models import Headers


@dataclass(frozen=True)
class RecordedRequest:
    """A request as the fake server received it.

    Bodies over the server's ``max_recorded_body`` are not kept: ``body`` is then empty and
    ``body_size`` / ``body_sha256`` describe what arrived.
    """

    method: str
    target: str
    headers: Headers
    body: bytes
    connection: int
    body_size: int = 0
    body_sha256: str = ""
    scheme: str = "http"
    #: The values of the matched route's ``{name}`` segments.
    path_params: Mapping[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        """The absolute URL the client asked for (scheme, ``Host`` header and target)."""
        return f"{self.scheme}://{self.headers.get('host', '127.0.0.1')}{self.target}"

    @property
    def path(self) -> str:
        """The path, without the query string."""
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, list[str]]:
        """Every query parameter with all its values."""
        return parse_qs(urlsplit(self.target).query, keep_blank_values=True)

    @property
    def args(self) -> dict[str, str]:
        """Query parameters with their first value (the common case)."""
        return {name: values[0] for name, values in self.query.items()}

    def json(self) -> Any:
        """The body parsed as JSON."""
        return jsonlib.loads(self.body)


_NO_JSON: Any = object()


@dataclass(frozen=True)
class Reply:
    """What the fake server answers. ``json=`` sets the body and a JSON content type.

    ``chunks`` is a function returning an iterable of byte chunks, for large bodies made as
    they are sent (with ``Transfer-Encoding: chunked`` unless ``Content-Length`` is set).

    Misbehaviours: ``hang`` never answers (until the server stops); ``close`` drops the
    connection without answering; ``close_after`` answers, then closes the connection
    without saying so (like a server's idle timeout); ``delay`` waits before answering;
    ``drip`` sends the body one byte per ``drip`` seconds.
    """

    status: int = 200
    json: Any = _NO_JSON
    body: bytes | str = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    hang: bool = False
    close: bool = False
    close_after: bool = False
    delay: float = 0.0
    drip: float = 0.0
    chunks: Callable[[], Iterable[bytes]] | None = None

    def encoded(self) -> tuple[bytes, dict[str, str]]:
        """The body bytes and headers to send (Content-Type filled in for JSON)."""
        headers = dict(self.headers)
        if self.json is not _NO_JSON:
            headers.setdefault("Content-Type", "application/json")
            return jsonlib.dumps(self.json).encode(), headers
        body = self.body.encode() if isinstance(self.body, str) else self.body
        return body, headers


ReplySource = Reply | Callable[[RecordedRequest], Reply] | Sequence[Reply]


class FakeServer:
    """A real HTTP/1.1 server on 127.0.0.1 answering from a route table."""

    def __init__(
        self,
        routes: Mapping[str, ReplySource] | None = None,
        *,
        tls: ssl.SSLContext | None = None,
        max_recorded_body: int = 1024 * 1024,
        strict: bool = False,
    ) -> None:
        self.max_recorded_body = max_recorded_body
        self.strict = strict
        #: Requests no route matched (in strict mode, leaving the server then fails).
        self.unmatched: list[RecordedRequest] = []
        self._routes: dict[str, ReplySource] = {}
        self._patterns: dict[str, tuple[str, re.Pattern[str]]] = {}
        self._served: dict[str, int] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._tls = tls
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._open_sockets: set[socket.socket] = set()
        self.requests: list[RecordedRequest] = []
        self.connections_opened: int = 0
        self.connections_closed: int = 0
        self._closed_condition = threading.Condition(self._lock)
        self.add_routes(routes or {})

    def add(self, route: str, reply: ReplySource) -> None:
        """Add or replace a route (``"GET /path"``, ``"/path"``, ``"/prefix*"``, ``"/a/{id}"``)."""
        method, _, path = route.rpartition(" ")
        with self._lock:
            self._routes[route] = reply
            self._served[route] = 0
            if "{" in path or path.endswith("*"):
                self._patterns[route] = (method.upper(), _compile_route(path))

    def add_routes(self, routes: Mapping[str, ReplySource]) -> None:
        """Add or replace several routes (a whole fake API's table, say)."""
        for route, reply in routes.items():
            self.add(route, reply)

    @property
    def url(self) -> str:
        """The server's base URL, e.g. ``http://127.0.0.1:54321/``."""
        if self._server is None:
            raise RuntimeError("the server is not started")
        scheme = "https" if self._tls else "http"
        return f"{scheme}://127.0.0.1:{self._server.server_address[1]}/"

    @property
    def port(self) -> int:
        """The TCP port the server listens on."""
        return int(self.url.rsplit(":", 1)[1].rstrip("/"))

    def start(self) -> FakeServer:
        """Start serving in a background thread; returns self."""
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, release hanging replies and close every connection."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        with self._lock:
            for sock in list(self._open_sockets):
                _close_quietly(sock)
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
        if exc_info[0] is None:  # (a failing test's own error is the one to see)
            self.assert_no_unmatched()

    def assert_no_unmatched(self) -> None:
        """In strict mode, fail if a request matched no route (``with`` does this on leaving)."""
        if self.strict and self.unmatched:
            asked = "\n".join(f"  {r.method} {r.target}" for r in self.unmatched)
            raise AssertionError(
                f"FakeServer (strict): {len(self.unmatched)} request(s) matched no route:\n"
                f"{asked}\n{self._route_list()}"
            )

    def assert_all_called(self) -> None:
        """Fail unless every route was asked for at least once (a test's plan, checked)."""
        with self._lock:
            never = [route for route, served in self._served.items() if not served]
        if never:
            raise AssertionError(
                "FakeServer: route(s) never called:\n" + "\n".join(f"  {r}" for r in never)
            )

    def _route_list(self) -> str:
        routes = list(self._routes) or ["(none)"]
        return "routes:\n" + "\n".join(f"  {route}" for route in routes)

    def wait_closed(self, count: int, timeout: float = 10.0) -> bool:
        """Block until the server has seen ``count`` connections close (event, not sleep)."""
        with self._closed_condition:
            return self._closed_condition.wait_for(
                lambda: self.connections_closed >= count, timeout
            )

    def requests_to(self, path: str) -> list[RecordedRequest]:
        """The recorded requests whose path is ``path``."""
        return [r for r in self.requests if r.path == path]

    # -- used by the handler --------------------------------------------------------------

    def _reply_for(self, request: RecordedRequest) -> Reply:
        with self._lock:
            route, params = self._match(request.method, request.path)
            if params:
                request = replace(request, path_params=params)
            self.requests.append(request)
            if route is None:
                return self._no_route(request)
            source, served = self._routes[route], self._served[route]
            self._served[route] = served + 1
        return resolve_reply(source, request, served)

    def _no_route(self, request: RecordedRequest) -> Reply:
        if not self.strict:
            return Reply(404, json={"error": "not found", "path": request.path})
        self.unmatched.append(request)
        wanted = f"{request.method} {request.path}"
        near = difflib.get_close_matches(wanted, list(self._routes), n=1, cutoff=0.5)
        message = f"FakeServer (strict): no route for {wanted}"
        if near:
            message += f"; did you mean {near[0]!r}?"
        return Reply(404, json={"error": message, "routes": list(self._routes)})

    def _match(self, method: str, path: str) -> tuple[str | None, dict[str, str]]:
        for route in (f"{method} {path}", path):
            if route in self._routes:
                return route, {}
        for route, (route_method, pattern) in self._patterns.items():
            found = pattern.fullmatch(path)
            if found and route_method in ("", method):
                return route, found.groupdict()
        return None, {}

    def _opened(self, sock: socket.socket) -> None:
        with self._lock:
            self.connections_opened += 1
            self._open_sockets.add(sock)

    def _closed(self, sock: socket.socket) -> None:
        with self._closed_condition:
            self.connections_closed += 1
            self._open_sockets.discard(sock)
            self._closed_condition.notify_all()


def resolve_reply(source: ReplySource, request: RecordedRequest, served: int) -> Reply:
    """The reply a route value gives to its ``served``-th request (counting from 0)."""
    if isinstance(source, Reply):
        return source
    if isinstance(source, Sequence):
        return source[min(served, len(source) - 1)]
    return source(request)


def _compile_route(path: str) -> re.Pattern[str]:
    """A route path as a pattern: ``{name}`` is one segment, a final ``*`` any rest."""
    prefix = path.endswith("*")
    parts = re.split(r"\{(\w+)\}", path[:-1] if prefix else path)
    pattern = "".join(
        f"(?P<{part}>[^/]+)" if index % 2 else re.escape(part) for index, part in enumerate(parts)
    )
    return re.compile(pattern + (".*" if prefix else ""))


def _close_quietly(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up or fails the TLS handshake is normal in tests: stay quiet."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server  # pyright: ignore[reportIncompatibleVariableOverride]  # (our own server class)

    def setup(self) -> None:
        self.fake = self.server.fake
        self.raw_socket: socket.socket = self.request
        # Headers and body go out in separate writes; without this, Nagle's algorithm and
        # the client's delayed ACK add ~40 ms to every keep-alive response.
        self.raw_socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.fake._opened(self.raw_socket)
        if self.fake._tls is not None:
            self.request = self.fake._tls.wrap_socket(self.request, server_side=True)
        super().setup()

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            if self.request is not self.raw_socket:
                self.request.close()
            _close_quietly(self.raw_socket)
            self.fake._closed(self.raw_socket)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output clean."""

    def _read_body(self) -> tuple[bytes, int, str]:
        """The request body (kept only if small), its size and its SHA-256."""
        length = int(self.headers.get("Content-Length") or 0)
        digest, kept, remaining = hashlib.sha256(), [], length
        while remaining:
            chunk = self.rfile.read(min(remaining, 256 * 1024))
            if not chunk:
                break
            digest.update(chunk)
            remaining -= len(chunk)
            if length <= self.fake.max_recorded_body:
                kept.append(chunk)
        return b"".join(kept), length - remaining, digest.hexdigest()

    def _serve(self) -> None:
        body, size, sha256 = self._read_body()
        recorded = RecordedRequest(
            method=self.command,
            target=self.path,
            headers=Headers(self.headers.items()),
            body=body,
            connection=id(self.raw_socket),
            body_size=size,
            body_sha256=sha256,
            scheme="https" if self.fake._tls is not None else "http",
        )
        reply = self.fake._reply_for(recorded)
        stopping = self.fake._stopping
        if reply.hang:
            stopping.wait()
        if reply.hang or reply.close:
            self.close_connection = True
            return
        if reply.delay:
            stopping.wait(reply.delay)
        payload, headers = reply.encoded()
        self.send_response_only(reply.status)
        given = {name.lower() for name in headers}
        defaults = {"Date": self.date_time_string(), "Content-Length": str(len(payload))}
        if reply.chunks is not None and "content-length" not in given:
            defaults = {"Date": defaults["Date"], "Transfer-Encoding": "chunked"}
        for name, value in headers.items():
            self.send_header(name, value)
        for name, value in defaults.items():
            if name.lower() not in given:  # (a reply's own Date or length replaces ours)
                self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD" and reply.chunks is not None:
            self._write_chunks(reply.chunks(), chunked="content-length" not in given)
        elif self.command != "HEAD":
            self._write_body(payload, reply.drip)
        self.wfile.flush()
        if reply.close_after:
            self.close_connection = True

    def _write_chunks(self, chunks: Iterable[bytes], chunked: bool) -> None:
        for chunk in chunks:
            if chunked and chunk:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            elif chunk:
                self.wfile.write(chunk)
        if chunked:
            self.wfile.write(b"0\r\n\r\n")

    def _write_body(self, payload: bytes, drip: float) -> None:
        if not drip:
            self.wfile.write(payload)
            return
        for index in range(len(payload)):
            self.wfile.write(payload[index : index + 1])
            self.wfile.flush()
            if self.fake._stopping.wait(drip):
                return

    # http.server dispatches on these names.
    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve  # noqa: N815
