"""The sync transport on libcurl (``apiclient[curl]``, through pycurl): less CPU per call.

Same contract as ``Urllib3Transport``: one exchange per call, no redirects or retries of
its own, typed errors whose text has no URL, ``max_body_bytes`` counted after decoding,
every time limit kept (``total`` through libcurl's own timer, or for a stream here until
its head is in; the read timeout through libcurl's low-speed check, to the second). A
streamed body is pulled through the handle's multi interface as the caller reads. Each
thread takes a *lane* (a libcurl handle and its connections) from a pool of at most
``pool_maxsize``: threads beyond it wait, within the call's time limit,
as they wait for a urllib3 connection. ``http2=True`` asks for HTTP/2 over TLS (ALPN);
calls from many threads then share connections, multiplexed (``curl_multiplex``).
"""

from __future__ import annotations

import contextlib
import math
import os
import select
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

try:
    import pycurl
except ImportError:  # pragma: no cover - the suite installs the extra
    raise ImportError("CurlTransport needs pycurl: pip install 'apiclient[curl]'") from None

from apiclient.defaults import MAX_BODY_BYTES, MAX_DRAIN_BYTES, POOL_MAXSIZE
from apiclient.errors import APIError, PoolTimeout, ReadTimeout
from apiclient.models import BodyStream, Request, Response
from apiclient.policies.timeouts import Timeouts
from apiclient.transports.codings import accept_encoding, check_codings
from apiclient.transports.curl_exchange import CurlExchange, translate
from apiclient.transports.proxies import Proxies
from apiclient.transports.tls import ClientCert, TLSOptions
from apiclient.transports.url_parts import split_url

_monotonic = time.monotonic
_FEATURES = pycurl.version_info()[4]
#: The content codings this libcurl decodes.
DECODABLE = frozenset(
    ("gzip", "deflate")
    + (("br",) if _FEATURES & pycurl.VERSION_BROTLI else ())
    + (("zstd",) if _FEATURES & pycurl.VERSION_ZSTD else ())
)
#: CURLOPT_SUPPRESS_CONNECT_HEADERS (libcurl 7.54), which pycurl does not name: a proxy's
#: answer to CONNECT never reaches the header callback.
_SUPPRESS_CONNECT_HEADERS = 265
#: Headers libcurl would add on its own unless told not to (an empty value removes one).
_SUPPRESSED = ("Expect:",)


class CurlTransport:
    """Send requests through libcurl, a pool of at most ``pool_maxsize`` handles.

    Args:
        pool_maxsize: handles (each with its keep-alive connections) used at once; threads
            beyond it wait for a free one (within the call's time limit).
        verify, ca_certs, cert, tls: as for ``Urllib3Transport`` (an ``ssl_context`` cannot
            be handed to libcurl: give the files instead).
        proxy, trust_env, proxies: as for ``Urllib3Transport``; libcurl speaks to HTTP and
            SOCKS proxies itself (no extra needed).
        http2: ask for HTTP/2 over TLS (plain http stays HTTP/1.1); concurrent calls to one
            origin then share one connection.
    """

    def __init__(
        self,
        *,
        pool_maxsize: int = POOL_MAXSIZE,
        verify: bool = True,
        ca_certs: str | None = None,
        cert: ClientCert | None = None,
        tls: TLSOptions | None = None,
        proxy: str | None = None,
        trust_env: bool = True,
        proxies: Proxies | None = None,
        http2: bool = False,
    ) -> None:
        tls = tls or TLSOptions(verify, ca_certs, cert)
        if tls.ssl_context is not None:
            raise ValueError(
                "CurlTransport cannot use an ssl.SSLContext: give ca_certs= and cert= instead"
            )
        self.verify: bool = tls.verify
        self.http2: bool = http2
        self.pool_maxsize: int = pool_maxsize
        self._options = _handle_options(tls, http2)
        self._proxies = proxies or Proxies(proxy, trust_env)
        self._idle: list[Lane] = []
        self._made = 0  # lanes made so far (at most ``pool_maxsize``)
        self._freed = threading.Condition()  # a lane was given back (to threads waiting)
        self._waiting = 0
        self._closed = False
        self._multiplexer: Any = None
        if http2:
            from apiclient.transports.curl_multiplex import Multiplexer

            self._multiplexer = Multiplexer(pool_maxsize)
        tls.warn_if_unverified()

    @property
    def accept_encoding(self) -> str:
        """The codings libcurl decodes here, as ``Accept-Encoding``."""
        return accept_encoding(DECODABLE)

    def send(
        self,
        request: Request,
        *,
        timeout: Timeouts,
        max_body_bytes: int = MAX_BODY_BYTES,
        stream: bool = False,
    ) -> Response:
        """Perform one exchange and read the whole (bounded) body, or leave it to stream."""
        lane = self._take(timeout)
        streaming = False
        try:
            lane.prepare(request, timeout, max_body_bytes, self._proxy_for(request.url))
            if stream:
                response = _stream(lane, request, timeout, self._release)
            elif self._multiplexer is not None:
                return lane.result_of(self._multiplexer.perform(lane), request.url)
            else:
                return lane.perform(request, timeout)
            streaming = response.stream is not None
            return response
        finally:
            if not streaming:  # (a stream gives its lane back when it is closed)
                self._release(lane)

    def _take(self, timeout: Timeouts) -> Lane:
        """A free lane: an idle one (no lock taken), a new one, or one given back in time."""
        try:
            lane = self._idle.pop()  # (atomic: two threads never get the same lane)
        except IndexError:
            lane = self._new_or_freed(timeout)
        lane.busy = True
        return lane

    def _new_or_freed(self, timeout: Timeouts) -> Lane:
        wait = timeout.total if timeout.total is not None else timeout.connect
        give_up = None if wait is None else _monotonic() + wait
        with self._freed:
            self._waiting += 1  # (before looking again: a lane given back now wakes us)
            try:
                while True:
                    if self._closed:
                        raise RuntimeError("the transport is closed")
                    if self._idle:
                        return self._idle.pop()
                    if self._made < self.pool_maxsize:
                        self._made += 1
                        return Lane(self._options, shared_connections=self._multiplexer is not None)
                    left = None if give_up is None else give_up - _monotonic()
                    if left is not None and left <= 0:
                        raise PoolTimeout("timed out waiting for a free pooled connection")
                    self._freed.wait(left)
            finally:
                self._waiting -= 1

    def _release(self, lane: Lane) -> None:
        """Give ``lane`` back to the pool, once, or close it if the transport was closed."""
        if not lane.busy:
            return
        lane.busy = False
        if self._closed:
            lane.close()
            return
        self._idle.append(lane)
        if self._waiting:
            with self._freed:
                self._freed.notify()

    def _proxy_for(self, url: str) -> tuple[str, str | None]:
        """Libcurl's proxy settings for ``url``: ``("", None)`` goes direct."""
        if not self._proxies.any:
            return "", None
        scheme, host, _, _ = split_url(url)
        route = self._proxies.route(scheme, host)
        if route is None:
            return "", None
        if route.socks:
            if route.username is None:
                return route.url, None
            return route.url, f"{route.username}:{route.password or ''}"
        return route.url, route.authorization

    def close(self) -> None:
        """Close every handle and its connections (lanes in use close when given back)."""
        with self._freed:
            self._closed = True
            idle, self._idle = self._idle, []
            self._freed.notify_all()
        for lane in idle:
            lane.close()
        if self._multiplexer is not None:
            self._multiplexer.close()


class Lane:
    """One libcurl handle with its callbacks' state; used by one thread at a time."""

    __slots__ = (
        "_fresh", "_last", "_limits", "_options", "_sent", "_share", "busy", "easy", "exchange",
        "finished", "multi", "result", "shared_connections", "total_ms",
    )  # fmt: skip

    def __init__(self, options: list[tuple[int, Any]], *, shared_connections: bool) -> None:
        self.easy: pycurl.Curl = pycurl.Curl()
        self.exchange: CurlExchange = CurlExchange()
        self.multi: Any = None  # made on first use (streams)
        #: Whether exchanges run in the transport's multiplexer (HTTP/2), on its connections.
        self.shared_connections: bool = shared_connections
        self.finished: threading.Event = threading.Event()  # (set by the multiplexer)
        self.result: int = 0
        self._share: Any = None
        if not shared_connections:
            # One connection cache whether the handle runs alone or in the multi handle.
            # (Only this lane's thread uses it at a time: libcurl's caveat on threads is moot.)
            self._share = pycurl.CurlShare()
            self._share.setopt(pycurl.SH_SHARE, pycurl.LOCK_DATA_CONNECT)
            self.easy.setopt(pycurl.SHARE, self._share)  # (kept by ``reset``)
        self.busy: bool = False
        #: The exchange's total limit as libcurl keeps it (0: none).
        self.total_ms: int = 0
        self._options = options
        self._last: tuple[Any, ...] = ()
        self._fresh = False  # FRESH_CONNECT is set (the last connection was found dead)
        self._limits: Timeouts | None = None  # the time limits the handle has set
        self._sent: tuple[Any, ...] | None = None  # the headers the handle has (and a body?)
        self._apply_base()

    def _apply_base(self) -> None:
        easy, exchange = self.easy, self.exchange
        for option, value in self._options:
            easy.setopt(option, value)
        easy.setopt(pycurl.HEADERFUNCTION, exchange.raw_head.append)
        easy.setopt(pycurl.WRITEFUNCTION, exchange.on_body)
        easy.setopt(pycurl.PREREQFUNCTION, exchange.on_prereq)

    def prepare(
        self,
        request: Request,
        timeout: Timeouts,
        max_body_bytes: int,
        proxy: tuple[str, str | None],
    ) -> None:
        """Set the handle up for ``request`` (options that did not change are left as set)."""
        easy, body = self.easy, request.body
        shape = (request.method, type(body), proxy)
        # (checked before a reset, which forgets the socket; an HTTP/2 one is never idle)
        dead = not self.shared_connections and self._last_socket_is_dead()
        if shape != self._last:
            if self._last:
                easy.reset()  # (keeps the live connections, TLS sessions and DNS cache)
                self._apply_base()
                self._fresh = False
                self._limits, self._sent = None, None
            _set_method(easy, request.method, body)
            _set_proxy(easy, proxy)
            self._last = shape
        if dead or self._fresh:  # libcurl skips its own check on a recently used connection
            easy.setopt(pycurl.FRESH_CONNECT, 1 if dead else 0)
            self._fresh = dead
        easy.setopt(pycurl.URL, request.url)
        sent = (request.headers.pairs(), body is not None)
        if sent != self._sent:  # (the same headers call after call: handed over once)
            easy.setopt(pycurl.HTTPHEADER, _header_lines(*sent))
            self._sent = sent
        if isinstance(body, bytes):
            easy.setopt(pycurl.POSTFIELDSIZE_LARGE, len(body))
            easy.setopt(pycurl.POSTFIELDS, body)
        elif body is not None:
            _set_upload(easy, request, body)
        if timeout is not self._limits and timeout != self._limits:  # (set once, usually)
            self.total_ms = _set_timeouts(easy, timeout, total=True, low_speed=True)
            self._limits = timeout
        self.exchange.start(max_body_bytes)

    def _last_socket_is_dead(self) -> bool:
        """Whether the connection the last exchange left open was closed by the server.

        An idle kept-alive connection has nothing to read: if it is readable, the server
        closed it (or sent something unasked), and a request sent on it would be lost.
        """
        sock = self.easy.getinfo(pycurl.ACTIVESOCKET)
        if sock == -1:
            return False
        readable, _, _ = select.select((sock,), (), (), 0)
        return bool(readable)

    def perform(self, request: Request, timeout: Timeouts) -> Response:
        """Run the whole exchange on this thread; the complete response."""
        try:
            self.easy.perform()
        except pycurl.error as exc:
            return self.result_of(int(exc.args[0]), request.url)
        return self.response(request.url)

    def limit_stream(self, timeout: Timeouts) -> None:
        """A stream's limits: connect and read as usual, libcurl's total timer off.

        The stream keeps the total limit itself until the head is in; the next exchange
        sets the handle's limits again.
        """
        _set_timeouts(self.easy, timeout, total=False, low_speed=True)
        self._limits = None
        self.total_ms = _ms(timeout.total)

    def result_of(self, code: int, url: str) -> Response:
        """The response of an exchange that ended with libcurl's ``code`` (0: success)."""
        if code:
            self.raise_for(code)
        return self.response(url)

    def response(self, url: str, stream: BodyStream | None = None) -> Response:
        """The exchange's response once its head (and, unless streamed, its body) is in."""
        exchange = self.exchange
        exchange.check_complete()
        headers = exchange.headers
        if stream is None and not exchange.redirect_cut_short():
            check_codings(headers.get("content-encoding"), DECODABLE)
        data = b"" if stream is not None or exchange.redirect_cut_short() else _joined(exchange)
        return Response(exchange.code, headers, data, exchange.reason(), url, stream=stream)

    def raise_for(self, code: int) -> None:
        """Raise the error for libcurl's ``code`` (or the one a callback noted first)."""
        exchange = self.exchange
        if exchange.head_done() and exchange.skipping_body:
            return  # a redirect is in: its body (undecodable, big) is dropped anyway
        if exchange.failure is not None:
            raise exchange.failure
        easy = self.easy
        total_ms = easy.getinfo(pycurl.TOTAL_TIME) * 1000
        raise translate(
            code,
            easy.errstr() or "libcurl error",
            connected=easy.getinfo(pycurl.PRETRANSFER_TIME) > 0,
            sent=easy.getinfo(pycurl.REQUEST_SIZE) > 0,
            deadline_passed=0 < self.total_ms <= total_ms + 1,
        )

    def close(self) -> None:
        """Close the handle and its connections."""
        if self.multi is not None:
            self.multi.close()
        self.easy.close()


def _joined(exchange: CurlExchange) -> bytes:
    chunks = exchange.chunks
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _handle_options(tls: TLSOptions, http2: bool) -> list[tuple[int, Any]]:
    """Options every handle keeps: no signals, no redirects, TLS, decoding, HTTP version."""
    options: list[tuple[int, Any]] = [
        (pycurl.NOSIGNAL, 1),
        (pycurl.FOLLOWLOCATION, 0),
        (pycurl.ACCEPT_ENCODING, ""),  # decode what the server sends (the header is ours)
        (_SUPPRESS_CONNECT_HEADERS, 1),
        (pycurl.PROTOCOLS, pycurl.PROTO_HTTP | pycurl.PROTO_HTTPS),
        (pycurl.SSLVERSION, pycurl.SSLVERSION_TLSv1_2),
        (pycurl.SSL_VERIFYPEER, 1 if tls.verify else 0),
        (pycurl.SSL_VERIFYHOST, 2 if tls.verify else 0),
        (pycurl.HTTP_VERSION, pycurl.CURL_HTTP_VERSION_2TLS if http2 else
         pycurl.CURL_HTTP_VERSION_1_1),
        (pycurl.TCP_NODELAY, 1),
        (pycurl.NETRC, pycurl.NETRC_IGNORED),
    ]  # fmt: skip
    if http2:  # wait for the origin's connection being opened, to multiplex on it
        options.append((pycurl.PIPEWAIT, 1))
    options.extend(_trust_options(tls))
    certfile, keyfile = tls.cert_files
    if certfile is not None:
        options.append((pycurl.SSLCERT, certfile))
        if keyfile is not None:
            options.append((pycurl.SSLKEY, keyfile))
    return options


def _trust_options(tls: TLSOptions) -> list[tuple[int, Any]]:
    """The CA files: ``ca_certs`` replaces the trust store, else the system's (OpenSSL's)."""
    if not tls.verify:
        return []
    if tls.ca_certs is not None:
        return [(pycurl.CAINFO, tls.ca_certs), (pycurl.CAPATH, None)]
    paths = ssl.get_default_verify_paths()
    found: list[tuple[int, Any]] = []
    if paths.cafile and os.path.isfile(paths.cafile):
        found.append((pycurl.CAINFO, paths.cafile))
    if paths.capath and os.path.isdir(paths.capath):
        found.append((pycurl.CAPATH, paths.capath))
    return found


def _set_method(easy: Any, method: str, body: object) -> None:
    if body is None:
        if method == "HEAD":
            easy.setopt(pycurl.NOBODY, 1)
        elif method != "GET":
            easy.setopt(pycurl.CUSTOMREQUEST, method)
    elif isinstance(body, bytes):
        if method != "POST":
            easy.setopt(pycurl.CUSTOMREQUEST, method)
    else:
        easy.setopt(pycurl.UPLOAD, 1)
        if method != "PUT":
            easy.setopt(pycurl.CUSTOMREQUEST, method)


def _set_proxy(easy: Any, proxy: tuple[str, str | None]) -> None:
    url, credentials = proxy
    easy.setopt(pycurl.PROXY, url)  # "" goes direct, whatever the environment says
    if not url or credentials is None:
        return
    if url.startswith("socks"):
        easy.setopt(pycurl.PROXYUSERPWD, credentials)
    else:  # the Basic credentials, sent to the proxy alone
        easy.setopt(pycurl.PROXYHEADER, [f"Proxy-Authorization: {credentials}"])
        easy.setopt(pycurl.HEADEROPT, pycurl.HEADER_SEPARATE)


def _set_upload(easy: Any, request: Request, body: Iterable[bytes]) -> None:
    """Stream an iterable body to libcurl as it asks for more."""
    pieces = iter(body)
    pending = [b""]

    def read(size: int) -> bytes:
        data: bytes | None = pending[0]
        while not data:
            data = next(pieces, None)
            if data is None:
                return b""
        pending[0] = data[size:]
        return data[:size]

    easy.setopt(pycurl.READFUNCTION, read)
    length = request.headers.get("content-length")
    if length is not None and length.isdigit():
        easy.setopt(pycurl.INFILESIZE_LARGE, int(length))


def _header_lines(pairs: tuple[tuple[str, str], ...], has_body: bool) -> list[str]:
    """The request's headers as libcurl takes them, and its own defaults switched off."""
    lines = [f"{name}: {value}" if value else f"{name};" for name, value in pairs]
    names = {name.lower() for name, _ in pairs}
    if "accept" not in names:
        lines.append("Accept:")
    if has_body and "content-type" not in names:
        lines.append("Content-Type:")
    lines.extend(_SUPPRESSED)
    return lines


def _set_timeouts(easy: Any, timeout: Timeouts, *, total: bool, low_speed: bool) -> int:
    """The connect limit; the total one (libcurl's timer) and the read one, if asked.

    Returns the total limit set, in milliseconds (0: none).
    """
    easy.setopt(pycurl.CONNECTTIMEOUT_MS, _ms(timeout.connect))
    total_ms = _ms(timeout.total) if total else 0
    easy.setopt(pycurl.TIMEOUT_MS, total_ms)
    read = timeout.read
    if read is None or not low_speed:
        easy.setopt(pycurl.LOW_SPEED_TIME, 0)
    else:  # less than one byte a second for ``read`` seconds: the server went quiet
        easy.setopt(pycurl.LOW_SPEED_LIMIT, 1)
        easy.setopt(pycurl.LOW_SPEED_TIME, max(1, math.ceil(read)))
    return total_ms


def _ms(seconds: float | None) -> int:
    """A limit in libcurl's milliseconds (0: none; never 0 for a limit that is set)."""
    return 0 if seconds is None else max(1, int(seconds * 1000))


def _stream(lane: Lane, request: Request, timeout: Timeouts, release: Any) -> Response:
    """Return once the head is in; the body is pulled from libcurl as the caller reads.

    A redirect is read to its end (its body is dropped) and comes back unstreamed.
    """
    lane.limit_stream(timeout)
    exchange = lane.exchange
    exchange.streaming = True
    transfer = _Watched(lane, timeout)
    transfer.run(until_head=True)
    if exchange.skipping_body:
        if not transfer.done:
            transfer.run(until_head=False)
        return lane.response(request.url)
    try:
        check_codings(exchange.headers.get("content-encoding"), DECODABLE)
    except APIError:
        transfer.detach()
        raise
    body = BodyStream(transfer.chunks(), lambda: transfer.finish(release))
    return lane.response(request.url, stream=body)


class _Watched:
    """A streamed transfer, driven through the lane's multi handle as the caller reads.

    The total limit holds until the head is in (the body is read at the caller's pace);
    libcurl's low-speed check keeps the read timeout throughout.
    """

    def __init__(self, lane: Lane, timeout: Timeouts) -> None:
        if lane.multi is None:
            lane.multi = pycurl.CurlMulti()
        self.lane, self.multi = lane, lane.multi
        self.deadline = None if timeout.total is None else _monotonic() + timeout.total
        self.done = False
        #: An error that ended the transfer after its head: raised once the body is read.
        self.pending: APIError | None = None
        self._released = False
        self.multi.add_handle(lane.easy)

    def run(self, *, until_head: bool) -> None:
        """Drive the transfer until it ends (or, ``until_head``, its head is in)."""
        exchange = self.lane.exchange
        if not until_head:
            self._drive(lambda: False)
            return
        self._drive(lambda: exchange.head_done() or exchange.failure is not None)
        if exchange.failure is not None and not exchange.head_done():
            self.detach()
            raise exchange.failure  # a malformed head

    def _drive(self, until: Callable[[], bool]) -> None:
        """Let libcurl work until ``until()`` or the transfer's end.

        The deadline holds until the head is in; a failure takes the handle out of the
        multi handle.
        """
        exchange, multi = self.lane.exchange, self.multi
        try:
            while True:
                _, running = multi.perform()
                if not running:
                    self._end()
                    return
                if until():
                    return
                multi.select(self._wait(None if exchange.head_done() else self.deadline))
        except BaseException:
            self.detach()
            raise

    def _wait(self, deadline: float | None) -> float:
        """Seconds to wait for the sockets: what libcurl asks, bounded by the deadline."""
        curl_ms = self.multi.timeout()
        wait = 1.0 if curl_ms < 0 else min(1.0, curl_ms / 1000)
        if deadline is not None:
            left = deadline - _monotonic()
            if left <= 0:
                raise ReadTimeout("the call's total time limit passed")
            wait = min(wait, left)
        return max(wait, 0.0005)

    def _end(self) -> None:
        """The transfer finished: raise its error, if it had one.

        An error after the head is kept for the reader of the body (the response's head was
        received, as the urllib3 transport would have returned it).
        """
        _, _, failed = self.multi.info_read()
        self.detach()
        self.done = True
        if not failed:
            return
        try:
            self.lane.raise_for(failed[0][1])
        except APIError as error:
            if not self.lane.exchange.head_done() or self.lane.exchange.skipping_body:
                raise
            self.pending = error

    def detach(self) -> None:
        if not self._released:
            self._released = True
            self.multi.remove_handle(self.lane.easy)

    def chunks(self) -> Iterator[bytes]:
        """The body as it arrives, bounded by the cap (the callback counts it)."""
        exchange = self.lane.exchange
        while True:
            if exchange.chunks:
                yield exchange.take()
                self.resume()
                continue
            if self.done:
                if self.pending is not None:
                    raise self.pending
                return
            self.run_until_data()

    def resume(self) -> None:
        """Unpause a transfer the callback paused: libcurl hands over what it holds."""
        exchange = self.lane.exchange
        if not exchange.paused:
            return
        exchange.paused = False
        try:
            self.lane.easy.pause(pycurl.PAUSE_CONT)
        except pycurl.error as exc:  # the callback refused the data it was handed again
            self.detach()
            self.done = True
            self.lane.raise_for(int(exc.args[0]))

    def run_until_data(self) -> None:
        """Drive until some body arrives or the transfer ends."""
        exchange = self.lane.exchange
        self._drive(lambda: bool(exchange.chunks))

    def finish(self, release: Any) -> None:
        """Close the stream: a small rest is drained to keep the connection, else dropped."""
        if not self.done and self._rest_is_small():
            exchange = self.lane.exchange
            exchange.discard, exchange.chunks = True, []
            with contextlib.suppress(APIError):
                self.resume()
                while not self.done:
                    self.run_until_data()
        self.detach()
        release(self.lane)

    def _rest_is_small(self) -> bool:
        exchange = self.lane.exchange
        length = exchange.headers.get("content-length")
        if length is None or not length.isdigit() or "content-encoding" in exchange.headers:
            return False
        return int(length) - exchange.size <= MAX_DRAIN_BYTES
