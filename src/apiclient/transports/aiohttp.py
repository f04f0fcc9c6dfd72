"""The async transport on aiohttp: one ``ClientSession`` per client, with a connection limit.

aiohttp's redirect following and status raising are off, so the shared request loop decides
everything, exactly as with the sync transport. Bodies are read in bounded steps, decoded,
with ``max_body_bytes`` checked on the decoded size; every aiohttp or socket exception is
translated here into an apiclient error whose text carries no URL. The session belongs to
the event loop it was made in: close the client in that loop (``async with`` or ``await
aclose()``). A client used again from a new loop gets a new session and works; a session
left open by an ended loop is only reported by aiohttp as a ``ResourceWarning``.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Iterable
from functools import lru_cache
from typing import Any

from apiclient.defaults import (
    ASYNC_POOL_MAXSIZE,
    MAX_BODY_BYTES,
    MAX_DRAIN_BYTES,
    READ_CHUNK_BYTES,
    STREAM_CHUNK_BYTES,
)
from apiclient.errors import (
    APIError,
    CertificateError,
    ConnectError,
    ConnectTimeout,
    DecodeError,
    ProtocolError,
    ReadTimeout,
    ResponseTooLarge,
    TLSError,
)
from apiclient.models import AsyncBodyStream, Request, Response
from apiclient.policies.redirects import REDIRECT_STATUSES
from apiclient.policies.timeouts import Timeouts
from apiclient.transports.codings import accept_encoding, check_codings
from apiclient.transports.deadlines import Deadlines, current_task
from apiclient.transports.proxies import Proxies, ProxyRoute
from apiclient.transports.tls import ClientCert, TLSOptions

_aiohttp_module: Any = None


def _aiohttp() -> Any:
    """The aiohttp module, imported on first use (``apiclient[async]``)."""
    global _aiohttp_module
    if _aiohttp_module is None:
        try:
            import aiohttp
        except ImportError as exc:  # pragma: no cover - exercised only without the extra
            raise ImportError(
                "AsyncAPIClient needs aiohttp: pip install 'apiclient[async]'"
            ) from exc
        _aiohttp_module = aiohttp
    return _aiohttp_module


def _socket_errors() -> tuple[type[BaseException], ...]:
    """What aiohttp and sockets raise; an ``except`` evaluates it only for an exception."""
    return (_aiohttp().ClientError, OSError, asyncio.TimeoutError)


class AiohttpTransport:
    """Send requests through one aiohttp session (per event loop) with pooled connections.

    Args:
        pool_maxsize: connections open at once; tasks beyond it wait for a free one.
        verify: verify TLS certificates (on by default). ``False`` logs a warning.
        ca_certs: a CA bundle that *replaces* the trust store.
        cert: a client certificate (mutual TLS): ``(certfile, keyfile)`` or one file.
        ssl_context: a context of your own instead of the three above (see ``TLSOptions``).
        proxy, trust_env: the HTTP proxy, or the environment's (see ``transports.proxies``).
    """

    def __init__(
        self,
        *,
        pool_maxsize: int = ASYNC_POOL_MAXSIZE,
        verify: bool = True,
        ca_certs: str | None = None,
        cert: ClientCert | None = None,
        ssl_context: ssl.SSLContext | None = None,
        tls: TLSOptions | None = None,
        proxy: str | None = None,
        trust_env: bool = True,
        proxies: Proxies | None = None,
    ) -> None:
        self.pool_maxsize = pool_maxsize
        self._proxies = proxies or Proxies(proxy, trust_env)
        if self._proxies.socks:  # a missing extra fails here, not on the first call
            import apiclient.transports.socks_aiohttp  # noqa: F401
        tls = tls or TLSOptions(verify, ca_certs, cert, ssl_context)
        context = tls.context()
        tls.warn_if_unverified()
        self._ssl: ssl.SSLContext | bool = context if context is not None else False
        self._session: Any = None
        self._via_socks: dict[str, Any] = {}  # a session per SOCKS proxy, in the same loop
        self._loop: asyncio.AbstractEventLoop | None = None
        self._deadlines = Deadlines()

    def _new_session(self) -> Any:
        """A session for the running event loop (on first use, and after ``aclose``)."""
        from apiclient.transports.aiohttp_protocol import strict_connector

        self._session = _session(strict_connector(self.pool_maxsize, self._ssl))
        self._via_socks = {}  # (the old loop's, if any, went with it)
        self._loop = asyncio.get_running_loop()
        self._deadlines = Deadlines()  # (the old loop's timer, if any, went with it)
        return self._session

    def _socks_session(self, route: ProxyRoute) -> Any:
        """The session whose connections go through ``route``'s SOCKS proxy, for this loop."""
        session = self._via_socks.get(route.url)
        if session is None:
            from apiclient.transports.socks_aiohttp import socks_connector

            session = _session(socks_connector(route, self.pool_maxsize, self._ssl))
            self._via_socks[route.url] = session
        return session

    @property
    def accept_encoding(self) -> str:
        """The codings this transport decodes, as ``Accept-Encoding`` (br, zstd if installed)."""
        return accept_encoding(_decodable())

    async def send(
        self,
        request: Request,
        *,
        timeout: Timeouts,
        max_body_bytes: int = MAX_BODY_BYTES,
        stream: bool = False,
    ) -> Response:
        """Perform one exchange; read the (bounded) body, or leave it to stream.

        ``timeout.total`` bounds the whole exchange (for a stream: up to the headers).
        """
        session = self._session if self._loop is asyncio.get_running_loop() else self._new_session()
        route = _route_of(request.url, self._proxies) if self._proxies.any else None
        if route is not None and route.socks:  # its own session does it: no proxy argument
            session, route = self._socks_session(route), None
        total = timeout.total
        task = current_task() if total is not None else None
        deadlines = self._deadlines
        cancelling = 0
        if task is not None and total is not None:  # kept by the loop's one deadline timer
            cancelling = deadlines.watch(task, total)
        try:
            return await self._exchange(session, request, timeout, max_body_bytes, stream, route)
        except asyncio.CancelledError:
            if task is not None and deadlines.passed(task, cancelling):
                raise ReadTimeout("the call's total time limit passed") from None
            raise
        finally:
            if task is not None:
                deadlines.release(task)

    async def _exchange(
        self,
        session: Any,
        request: Request,
        timeout: Timeouts,
        max_body_bytes: int,
        stream: bool,
        route: ProxyRoute | None,
    ) -> Response:
        """``send`` under its deadline (kept by ``send``): the request, then the body."""
        raw = await _open(session, request, timeout, route)
        try:
            if raw.status in REDIRECT_STATUSES and "Location" in raw.headers:
                await _skip_body(raw)
                data = b""
            else:
                check_codings(raw.headers.get("Content-Encoding"), _decodable())
                if stream and not _sized_within(raw, MAX_DRAIN_BYTES):
                    # (a small body is read up front: it can then be dropped without closing
                    # the connection, e.g. a 503 before a retry)
                    chunks = _chunks(raw, max_body_bytes, STREAM_CHUNK_BYTES)
                    body = AsyncBodyStream(chunks, raw.close)
                    reason = raw.reason or ""
                    return Response(raw.status, raw.headers, b"", reason, request.url, stream=body)
                data = await _read(raw, max_body_bytes)
        except BaseException:
            raw.close()
            raise
        raw.release()
        return Response(raw.status, raw.headers, data, raw.reason or "", request.url)

    async def aclose(self) -> None:
        """Close the session and its connections (in the loop that made it)."""
        session, self._session = self._session, None
        via_socks, self._via_socks = list(self._via_socks.values()), {}
        loop, self._loop = self._loop, None
        self._deadlines.close()
        if loop is None or loop.is_closed():
            return
        for each in (session, *via_socks):
            if each is not None:
                await each.close()  # (a no-op if already closed)


def _session(connector: Any) -> Any:
    """An aiohttp session on ``connector``, as apiclient uses one: no cookies, no environment."""
    aiohttp = _aiohttp()
    session = aiohttp.ClientSession(
        connector=connector,
        cookie_jar=aiohttp.DummyCookieJar(),  # a client library keeps no cookies
        trust_env=False,  # no environment variable may change where requests go
        auto_decompress=True,
    )
    # aiohttp resends an idempotent request once when a kept-alive connection turns out
    # closed. The core decides every retry (``retries=0`` means one send), so: off. The
    # attribute is private; tests/test_faults.py notices if aiohttp renames it.
    session._retry_connection = False
    return session


async def _open(session: Any, request: Request, timeout: Timeouts, route: ProxyRoute | None) -> Any:
    """Send the request (through the HTTP proxy of ``route``, if any); read the response's head."""
    body: Any = request.body
    if body is not None and not isinstance(body, bytes):
        body = _async_chunks(body)
    through: dict[str, Any] = {}
    headers = request.headers.as_dict()
    if route is not None:
        scheme = request.url.partition("://")[0]
        through["proxy"] = route.url
        if route.authorization and scheme == "https":  # on the CONNECT only
            through["proxy_headers"] = {"Proxy-Authorization": route.authorization}
        elif route.authorization:  # forwarded: the proxy reads it and drops it
            headers["Proxy-Authorization"] = route.authorization
    try:
        return await session.request(
            request.method,
            _wire_url(request.url),
            data=body,
            headers=headers,
            allow_redirects=False,
            timeout=_client_timeout(timeout.connect, timeout.read),
            **through,
        )
    except _socket_errors() as exc:
        failure = _translate(exc, sending=True)
    raise failure  # (outside the handler: aiohttp's error, headers and all, is not chained)


def _route_of(url: str, proxies: Proxies) -> ProxyRoute | None:
    """The proxy for ``url``: its scheme and host, as ``Proxies.route`` takes them."""
    scheme, _, rest = url.partition("://")
    return proxies.route(scheme, rest.split("/", 1)[0].rsplit(":", 1)[0].strip("[]"))


async def _read(raw: Any, max_body_bytes: int) -> bytes:
    """The whole (bounded) body; aiohttp's errors translated (outside their handler)."""
    try:
        if _sized_within(raw, min(max_body_bytes, READ_CHUNK_BYTES), unencoded=True):
            return bytes(await raw.read())  # sized, unencoded, under the cap: one read
        return b"".join([chunk async for chunk in _chunks(raw, max_body_bytes)])
    except _socket_errors() as exc:
        failure = _translate(exc, sending=False)
    raise failure


async def _async_chunks(body: Iterable[bytes]) -> AsyncIterator[bytes]:
    for chunk in body:
        yield chunk


async def _chunks(
    raw: Any, max_body_bytes: int, step: int = READ_CHUNK_BYTES
) -> AsyncIterator[bytes]:
    failure: APIError
    try:
        expected = raw.content_length
        if (
            expected is not None
            and expected > max_body_bytes
            and not raw.headers.get("Content-Encoding")
        ):
            raise ResponseTooLarge(f"response body of {expected} bytes exceeds {max_body_bytes}")
        size = 0
        async for chunk in raw.content.iter_chunked(step):
            size += len(chunk)
            if size > max_body_bytes:
                raise ResponseTooLarge(f"response body exceeds {max_body_bytes} bytes")
            yield chunk
    except _socket_errors() as exc:
        raw.close()
        failure = _translate(exc, sending=False)
    except BaseException:
        raw.close()
        raise
    else:
        return
    raise failure


@lru_cache(maxsize=64)
def _client_timeout(connect: float | None, read: float | None) -> Any:
    """The ``ClientTimeout`` for these limits, made once per pair of values (calls share one).

    No ``total``: the transport's deadline timer keeps that (see ``transports.deadlines``).
    """
    return _aiohttp().ClientTimeout(total=None, sock_connect=connect, sock_read=read)


@lru_cache(maxsize=1024)
def _wire_url(url: str) -> Any:
    """``url`` as aiohttp should send it: exactly as the core composed it.

    Left to parse it, yarl would resolve ``%2e%2e`` segments and re-encode the path,
    so the async client would send another URL than the sync one.
    """
    return _yarl().URL(url, encoded=True)


def _yarl() -> Any:
    import yarl  # aiohttp's own dependency

    return yarl


def _decodable() -> frozenset[str]:
    """The content codings aiohttp decodes here (br and zstd when their modules are there)."""
    global _decodable_codings
    if _decodable_codings is None:
        from aiohttp import compression_utils as codecs

        found = {"gzip", "x-gzip", "deflate"}
        if getattr(codecs, "HAS_BROTLI", False):
            found.add("br")
        if getattr(codecs, "HAS_ZSTD", False):
            found.add("zstd")
        _decodable_codings = frozenset(found)
    return _decodable_codings


_decodable_codings: frozenset[str] | None = None


def _sized_within(raw: Any, limit: int, *, unencoded: bool = False) -> bool:
    """Whether the body declares a length of at most ``limit`` (and, if asked, no encoding)."""
    length = raw.content_length
    if length is None or length > limit:
        return False
    return not (unencoded and raw.headers.get("Content-Encoding"))


async def _skip_body(raw: Any) -> None:
    """Never decode a redirect body: read a small, unencoded one to keep the connection.

    aiohttp decodes whatever it reads, so an encoded redirect body is not read at all.
    """
    if _sized_within(raw, MAX_DRAIN_BYTES, unencoded=True):
        await raw.read()
        raw.release()
    else:
        raw.close()


def _translate(exc: BaseException, *, sending: bool) -> APIError:
    """Map an aiohttp/socket exception to an apiclient error whose text has no URL."""
    aiohttp = _aiohttp()
    reason = _reason(exc)
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return CertificateError(f"the server's certificate failed verification: {reason}")
    if isinstance(exc, aiohttp.ClientSSLError):
        return TLSError(f"TLS handshake failed: {reason}")
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return ConnectTimeout("timed out while connecting")
    if isinstance(exc, aiohttp.ClientConnectorError):
        return ConnectError(f"could not connect: {reason}")
    if isinstance(exc, asyncio.TimeoutError):
        return ReadTimeout("timed out waiting for the server")
    if isinstance(exc, aiohttp.ClientPayloadError) and "decod" in str(exc).lower():
        return DecodeError("could not decode the response's Content-Encoding")
    from apiclient.transports.aiohttp_protocol import ChunkFramingError

    if isinstance(exc, ChunkFramingError):
        return ProtocolError(f"malformed response: {exc}")
    return ProtocolError(f"connection broken: {reason}")


def _reason(exc: BaseException) -> str:
    os_error = getattr(exc, "os_error", None)
    if isinstance(os_error, OSError) and os_error.strerror:
        return os_error.strerror
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return type(exc).__name__
