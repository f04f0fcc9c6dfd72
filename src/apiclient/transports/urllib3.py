"""The sync transport on urllib3: one ``PoolManager`` shared by all threads of a client.

urllib3's own redirects and retries are off, so the core is the one place that decides.
The body is read in bounded steps so that the call's deadline and ``max_body_bytes``
(counted after decompression) hold even against a server that drips or a gzip bomb.
Every urllib3 or socket exception is translated here, at this one boundary, into an
apiclient error whose text carries no URL.
"""

from __future__ import annotations

import contextlib
import http.client
import logging
import ssl
import time
from collections.abc import Generator, Iterator
from functools import lru_cache
from typing import Any

import urllib3
from urllib3 import exceptions as u3
from urllib3.connectionpool import HTTPConnectionPool

from apiclient.defaults import (
    MAX_BODY_BYTES,
    MAX_DRAIN_BYTES,
    MAX_POOLS,
    POOL_MAXSIZE,
    READ_CHUNK_BYTES,
    STREAM_CHUNK_BYTES,
)
from apiclient.errors import (
    APIError,
    CertificateError,
    ConnectError,
    ConnectTimeout,
    DecodeError,
    PoolTimeout,
    ProtocolError,
    ReadTimeout,
    ResponseTooLarge,
    TLSError,
)
from apiclient.models import BodyStream, Request, Response
from apiclient.policies.redirects import REDIRECT_STATUSES
from apiclient.policies.timeouts import Timeouts
from apiclient.redaction import redact_url
from apiclient.transports.codings import accept_encoding, check_codings
from apiclient.transports.guarded import (
    DeadlinePassed,
    GuardedHTTPPool,
    GuardedHTTPSPool,
    GuardedSocket,
    MalformedResponse,
    QuietlyUnverified,
    exchange,
)
from apiclient.transports.proxies import Proxies, ProxyRoute
from apiclient.transports.tls import ClientCert, TLSOptions
from apiclient.transports.url_parts import split_url

_monotonic = time.monotonic


class Urllib3Transport:
    """Send requests through urllib3 connection pools (one pool per origin).

    Args:
        pool_maxsize: connections kept per origin. Threads beyond it wait for a free
            connection (within the call's time limit) instead of opening more.
        max_pools: origins kept at once.
        verify: verify TLS certificates (on by default). ``False`` logs a warning.
        ca_certs: path of a CA bundle that *replaces* the trust store, e.g. for a private CA.
            Without it, the system trust store (OpenSSL's default paths) is used.
        cert: a client certificate (mutual TLS): ``(certfile, keyfile)`` or one file.
        ssl_context: a context of your own instead of the three above (see ``TLSOptions``).
        proxy: a proxy for every request (``http://user:pass@host:3128``, or SOCKS:
            ``socks5h://host:1080``); without it, ``HTTP(S)_PROXY`` / ``ALL_PROXY`` /
            ``NO_PROXY`` unless ``trust_env=False``.
    """

    def __init__(
        self,
        *,
        pool_maxsize: int = POOL_MAXSIZE,
        max_pools: int = MAX_POOLS,
        verify: bool = True,
        ca_certs: str | None = None,
        cert: ClientCert | None = None,
        ssl_context: ssl.SSLContext | None = None,
        tls: TLSOptions | None = None,
        proxy: str | None = None,
        trust_env: bool = True,
        proxies: Proxies | None = None,
    ) -> None:
        _install_urllib3_log_redaction()
        tls = tls or TLSOptions(verify, ca_certs, cert, ssl_context)
        verify = tls.verify
        self.verify = verify
        self.pool_maxsize = pool_maxsize
        certfile, keyfile = tls.cert_files
        self._pool_options: dict[str, Any] = {
            "num_pools": max_pools, "maxsize": pool_maxsize, "block": True, "retries": False,
            "cert_reqs": "CERT_REQUIRED" if verify else "CERT_NONE",
            "ca_certs": tls.ca_certs if verify else None, "cert_file": certfile,
            "key_file": keyfile, "ssl_context": tls.ssl_context,
            "ssl_minimum_version": None if tls.ssl_context else ssl.TLSVersion.TLSv1_2,
        }  # fmt: skip
        self._manager = self._guarded(urllib3.PoolManager(**self._pool_options))
        #: By scheme, host, port and proxy URL (None: direct).
        self._pools: dict[tuple[str, str, int | None, str | None], HTTPConnectionPool] = {}
        self._proxies = proxies or Proxies(proxy, trust_env)
        if self._proxies.socks:  # a missing extra fails here, not on the first call
            import apiclient.transports.socks_urllib3  # noqa: F401
        self._proxy_managers: dict[str, urllib3.PoolManager] = {}
        tls.warn_if_unverified()

    @property
    def accept_encoding(self) -> str:
        """The codings this transport decodes, as ``Accept-Encoding`` (br, zstd if installed)."""
        return accept_encoding(_DECODABLE)

    def send(
        self,
        request: Request,
        *,
        timeout: Timeouts,
        max_body_bytes: int = MAX_BODY_BYTES,
        stream: bool = False,
    ) -> Response:
        """Perform one exchange and read the whole (bounded) body, or leave it to stream.

        ``timeout.total`` bounds everything on the socket: sending, the status line, the
        headers, the body and its trailers (for a stream: up to the headers).
        """
        raw, guard = self._open(request, timeout)
        if raw.status in REDIRECT_STATUSES and "location" in raw.headers:
            _skip_redirect_body(raw)
            return Response(raw.status, raw.headers, b"", raw.reason or "", request.url)
        _check_codings(raw)
        if stream:
            if guard is not None:
                guard.relax()
            chunks = _chunks(raw, max_body_bytes, STREAM_CHUNK_BYTES)
            body = BodyStream(chunks, lambda: _finish(raw, chunks))
            return Response(
                raw.status, raw.headers, b"", reason=raw.reason or "", url=request.url, stream=body
            )
        data = _read_all(raw, max_body_bytes)
        return Response(raw.status, raw.headers, data, raw.reason or "", request.url)

    def _guarded(self, manager: urllib3.PoolManager) -> urllib3.PoolManager:
        """``manager``, making apiclient's guarded pools (bounded reads, strict parsing)."""
        manager.pool_classes_by_scheme = {
            "http": GuardedHTTPPool,
            "https": GuardedHTTPSPool if self.verify else _UnverifiedHTTPSPool,
        }
        return manager

    def _open(
        self, request: Request, timeout: Timeouts
    ) -> tuple[urllib3.BaseHTTPResponse, GuardedSocket | None]:
        """Send the request and read the response's head; its socket guard, if any."""
        scheme, host, port, target = split_url(request.url)
        exchange.deadline = None if timeout.total is None else _monotonic() + timeout.total
        try:
            route = self._proxies.route(scheme, host) if self._proxies.any else None
            pool = self._pool_for(scheme, host, port, route)
            if route is not None and scheme == "http" and not route.socks:
                target = request.url  # forwarded by the proxy: the absolute form
            raw = pool.urlopen(
                request.method,
                target,
                body=request.body,
                headers=request.headers.as_dict(),
                retries=_NO_RETRIES,
                redirect=False,
                assert_same_host=False,
                timeout=_urllib3_timeout(timeout.connect, timeout.read),
                pool_timeout=_pool_wait(timeout),
                preload_content=False,
                decode_content=True,
            )
            return raw, exchange.guard
        except (u3.HTTPError, OSError, http.client.HTTPException) as exc:
            failure = _translate(exc, sending=True)
        finally:
            exchange.guard = exchange.deadline = None
        raise failure  # (outside the handler: no urllib3 error, URL and all, chained to it)

    def _pool_for(
        self, scheme: str, host: str, port: int | None, route: ProxyRoute | None = None
    ) -> HTTPConnectionPool:
        """The origin's pool (through ``route``'s proxy, if any), looked up once per origin.

        urllib3's own lookup costs ~20 us per call.
        """
        key = (scheme, host, port, None if route is None else route.url)
        pool = self._pools.get(key)
        if pool is None or pool.pool is None:  # new origin, or evicted and closed by urllib3
            manager = self._manager if route is None else self._proxy_for(route)
            pool = manager.connection_from_host(host, port, scheme)
            self._pools[key] = pool
        return pool

    def _proxy_for(self, route: ProxyRoute) -> urllib3.PoolManager:
        """The proxy's own pools (its credentials go to it only: a header, or SOCKS's own)."""
        manager = self._proxy_managers.get(route.url)
        if manager is None:
            if route.socks:
                from apiclient.transports.socks_urllib3 import socks_manager

                manager = socks_manager(route, self._pool_options, self.verify)
            else:
                credentials = route.authorization
                headers = {"Proxy-Authorization": credentials} if credentials else {}
                manager = self._guarded(
                    urllib3.ProxyManager(route.url, proxy_headers=headers, **self._pool_options)
                )
            self._proxy_managers[route.url] = manager
        return manager

    def close(self) -> None:
        """Close every pooled connection."""
        pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.close()
        self._manager.clear()
        for manager in self._proxy_managers.values():
            manager.clear()


class _UnverifiedHTTPSPool(QuietlyUnverified, GuardedHTTPSPool):
    """HTTPS pool for ``verify=False``."""


def _pool_wait(timeout: Timeouts) -> int | None:
    """Seconds to wait for a free pooled connection (urllib3 types it int; floats work)."""
    wait = timeout.total if timeout.total is not None else timeout.connect
    return wait  # type: ignore[return-value]  # queue.get accepts float seconds


#: urllib3 turns ``retries=False`` into a new ``Retry`` on every call; one shared (immutable)
#: instance saves that. The core decides retries and redirects, never urllib3.
_NO_RETRIES = urllib3.Retry(total=False, redirect=False, raise_on_redirect=False)


@lru_cache(maxsize=64)
def _urllib3_timeout(connect: float | None, read: float | None) -> urllib3.Timeout:
    return urllib3.Timeout(connect=connect, read=read)


def _check_codings(raw: urllib3.BaseHTTPResponse) -> None:
    """Refuse a body in a coding urllib3 would pass through undecoded."""
    try:
        check_codings(raw.headers.get("content-encoding"), _DECODABLE)
    except DecodeError:
        _discard(raw)
        raise


#: The content codings urllib3 decodes here (br and zstd when their modules are installed).
_DECODABLE = frozenset(urllib3.HTTPResponse.CONTENT_DECODERS)


def _chunks(
    raw: urllib3.BaseHTTPResponse, max_body_bytes: int, step: int = READ_CHUNK_BYTES
) -> Iterator[bytes]:
    """Yield the decoded body in reads of at most ``step`` bytes; enforce the size cap.

    The deadline, if any, is kept by the connection's guarded socket. Any failure closes
    the connection (its state is unknown) and is translated; reading to the end returns
    the connection to the pool.
    """
    failure: APIError
    try:
        expected = raw.length_remaining
        encoded = raw.headers.get("content-encoding")
        if expected is not None and expected > max_body_bytes and not encoded:
            raise ResponseTooLarge(f"response body of {expected} bytes exceeds {max_body_bytes}")
        size = 0
        while True:
            chunk = raw.read1(step)
            if not chunk:
                break
            size += len(chunk)
            if size > max_body_bytes:
                raise ResponseTooLarge(f"response body exceeds {max_body_bytes} bytes")
            yield chunk
    except (u3.HTTPError, OSError, http.client.HTTPException) as exc:
        _discard(raw)
        failure = _translate(exc, sending=False)
    except BaseException:
        _discard(raw)
        raise
    else:
        raw.release_conn()
        return
    raise failure


def _read_all(raw: urllib3.BaseHTTPResponse, max_body_bytes: int) -> bytes:
    """Read the whole decoded body, bounded: the hot path of ``send``.

    A sized body with no coding is read in one call into one buffer of its size (no
    pieces to join: a 1 MB body is not copied twice); the guarded socket still ends every
    receive by the deadline, and the size was checked against the cap first. Anything
    else goes through ``_chunks``.
    """
    length = raw.length_remaining
    if length is None or raw.headers.get("content-encoding"):
        return b"".join(_chunks(raw, max_body_bytes))
    failure: APIError
    try:
        if length > max_body_bytes:
            raise ResponseTooLarge(f"response body of {length} bytes exceeds {max_body_bytes}")
        # Nothing to decode here (no Content-Encoding): skip urllib3's decoder machinery.
        data = raw.read(length, decode_content=False) if length else b""
    except (u3.HTTPError, OSError, http.client.HTTPException) as exc:
        _discard(raw)
        failure = _translate(exc, sending=False)
    except BaseException:
        _discard(raw)
        raise
    else:
        if raw.length_remaining:  # the server closed early: a truncated body
            _discard(raw)
            raise ProtocolError("connection broken: the body ended before its Content-Length")
        raw.release_conn()
        return data
    raise failure


def _finish(raw: urllib3.BaseHTTPResponse, chunks: Iterator[bytes]) -> None:
    """Close a streamed body: drain a small rest to keep the connection, else drop it."""
    if raw.connection is not None:  # still holding the connection: not fully read
        remaining = raw.length_remaining
        if remaining is not None and remaining <= MAX_DRAIN_BYTES:
            with contextlib.suppress(APIError):
                for _ in chunks:  # reading to the end releases the connection
                    pass
        else:
            _discard(raw)
    if isinstance(chunks, Generator):
        chunks.close()


def _skip_redirect_body(raw: urllib3.BaseHTTPResponse) -> None:
    """Never decode a redirect body; read a small sized one to keep the connection."""
    length = raw.length_remaining
    if length is not None and length <= MAX_DRAIN_BYTES:
        raw.read(decode_content=False)
        raw.release_conn()
    else:
        _discard(raw)


def _discard(raw: urllib3.BaseHTTPResponse) -> None:
    """Close a response's connection (its state is unknown) and return the pool slot."""
    raw.close()
    raw.release_conn()


def _translate(exc: BaseException, *, sending: bool) -> APIError:
    """Map a urllib3/socket exception to an apiclient error whose text has no URL."""
    own = _own_cause(exc)
    if isinstance(own, DeadlinePassed):
        return ReadTimeout(str(own))
    if isinstance(own, MalformedResponse):
        return ProtocolError(f"malformed response: {own}")
    reason = _root_reason(exc)
    if isinstance(exc, u3.NewConnectionError):
        return ConnectError(f"could not connect: {reason}")
    if isinstance(exc, u3.ConnectTimeoutError):
        return ConnectTimeout("timed out while connecting")
    if isinstance(exc, u3.ReadTimeoutError):
        return ReadTimeout("timed out waiting for the server")
    if isinstance(exc, (u3.EmptyPoolError, u3.ClosedPoolError)):
        return PoolTimeout("timed out waiting for a free pooled connection")
    if isinstance(exc, u3.SSLError) and sending:
        if _caused_by(exc, ssl.SSLCertVerificationError):
            return CertificateError(f"the server's certificate failed verification: {reason}")
        return TLSError(f"TLS handshake failed: {reason}")
    if isinstance(exc, u3.DecodeError):
        return DecodeError("could not decode the response's Content-Encoding")
    return ProtocolError(f"connection broken: {reason}")


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    """Whether ``kind`` is somewhere behind ``exc`` (its causes, contexts or wrapped args)."""
    seen: list[BaseException] = [exc]
    for _ in range(16):
        if not seen:
            return False
        current = seen.pop()
        if isinstance(current, kind):
            return True
        seen.extend(a for a in getattr(current, "args", ()) if isinstance(a, BaseException))
        seen.extend(e for e in (current.__cause__, current.__context__) if e is not None)
    return False


def _own_cause(exc: BaseException) -> BaseException | None:
    """The guarded connection's own error behind ``exc`` (urllib3 wraps it), if any."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None or isinstance(seen, (DeadlinePassed, MalformedResponse)):
            return seen
        wrapped = next((a for a in getattr(seen, "args", ()) if isinstance(a, BaseException)), None)
        seen = seen.__cause__ or wrapped or seen.__context__
    return None


def _root_reason(exc: BaseException) -> str:
    """The innermost OS or SSL error text, which names neither URL nor query."""
    seen: BaseException | None = exc
    best = type(exc).__name__
    while seen is not None:
        if isinstance(seen, OSError) and not isinstance(seen, u3.HTTPError):
            best = seen.strerror or str(seen) or type(seen).__name__
        seen = seen.__cause__ or seen.__context__
    for arg in getattr(exc, "args", ()):
        if isinstance(arg, BaseException) and best == type(exc).__name__:
            best = _root_reason(arg)
    return best


class _RedactQueryValues(logging.Filter):
    """urllib3 logs request paths and URLs with their query: hide every query value there."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(
            isinstance(a, str) and "?" in a for a in record.args
        ):
            record.args = tuple(
                redact_url(a, frozenset()) if isinstance(a, str) and "?" in a else a
                for a in record.args
            )
        return True


#: The urllib3 loggers whose records may carry a request's path and query.
_URLLIB3_LOGGERS = ("urllib3.connectionpool", "urllib3.connection", "urllib3.poolmanager")


def _install_urllib3_log_redaction() -> None:
    for name in _URLLIB3_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _RedactQueryValues) for f in logger.filters):
            logger.addFilter(_RedactQueryValues())
