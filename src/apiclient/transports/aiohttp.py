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
import logging
import ssl
from collections.abc import AsyncIterator, Iterable
from functools import lru_cache
from typing import Any

from apiclient.defaults import MAX_BODY_BYTES, MAX_DRAIN_BYTES, POOL_MAXSIZE, READ_CHUNK_BYTES
from apiclient.errors import (
    APIError,
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
from apiclient.transports.deadlines import Deadlines, current_task

log = logging.getLogger("apiclient")


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
    """

    def __init__(
        self, *, pool_maxsize: int = POOL_MAXSIZE, verify: bool = True, ca_certs: str | None = None
    ) -> None:
        self.pool_maxsize = pool_maxsize
        self._ssl: ssl.SSLContext | bool
        if verify:
            context = ssl.create_default_context(cafile=ca_certs)  # cafile replaces the defaults
            context.minimum_version = ssl.TLSVersion.TLSv1_2
            self._ssl = context
        else:
            log.warning("TLS certificate verification is OFF for this client")
            self._ssl = False
        self._session: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._deadlines = Deadlines()

    def _new_session(self) -> Any:
        """A session for the running event loop (on first use, and after ``aclose``)."""
        aiohttp = _aiohttp()
        connector = aiohttp.TCPConnector(limit=self.pool_maxsize, ssl=self._ssl)
        self._session = aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),  # a client library keeps no cookies
            trust_env=False,  # no environment variable may change where requests go
            auto_decompress=True,
        )
        self._loop = asyncio.get_running_loop()
        self._deadlines = Deadlines()  # (the old loop's timer, if any, went with it)
        return self._session

    async def send(
        self,
        request: Request,
        *,
        timeout: Timeouts,
        max_body_bytes: int = MAX_BODY_BYTES,
        stream: bool = False,
    ) -> Response:
        """Perform one exchange; read the (bounded) body, or leave it to stream."""
        session = self._session if self._loop is asyncio.get_running_loop() else self._new_session()
        total = None if stream else timeout.total  # a stream's body is read after send returns
        task = current_task() if total is not None else None
        deadlines = self._deadlines
        if task is not None and total is not None:  # kept by the loop's one deadline timer
            cancelling = deadlines.watch(task, total)
            total = None
        limits = _client_timeout(total, timeout.connect, timeout.read)
        body: Any = request.body
        if body is not None and not isinstance(body, bytes):
            body = _async_chunks(body)
        try:
            try:
                raw = await session.request(
                    request.method,
                    request.url,
                    data=body,
                    headers=request.headers.as_dict(),
                    allow_redirects=False,
                    timeout=limits,
                )
            except _socket_errors() as exc:
                raise _translate(exc, sending=True) from None
            try:
                if raw.status in REDIRECT_STATUSES and "Location" in raw.headers:
                    await _skip_body(raw)
                    data = b""
                elif stream and not _sized_within(raw, MAX_DRAIN_BYTES):
                    # (a small body is read up front: it can then be dropped without closing
                    # the connection, e.g. a 503 before a retry)
                    chunks = _chunks(raw, max_body_bytes)
                    return Response(
                        raw.status,
                        raw.headers,
                        b"",
                        reason=raw.reason or "",
                        url=request.url,
                        stream=AsyncBodyStream(chunks, raw.close),
                    )
                elif _sized_within(raw, min(max_body_bytes, READ_CHUNK_BYTES), unencoded=True):
                    data = await raw.read()  # sized, unencoded, under the cap: one read
                else:
                    data = b"".join([chunk async for chunk in _chunks(raw, max_body_bytes)])
            except _socket_errors() as exc:
                raw.close()
                raise _translate(exc, sending=False) from None
            except BaseException:
                raw.close()
                raise
            raw.release()
            return Response(raw.status, raw.headers, data, raw.reason or "", request.url)
        except asyncio.CancelledError:
            if task is not None and deadlines.passed(task, cancelling):
                raise ReadTimeout("the call's total time limit passed") from None
            raise
        finally:
            if task is not None:
                deadlines.release(task)

    async def aclose(self) -> None:
        """Close the session and its connections (in the loop that made it)."""
        session, self._session = self._session, None
        loop, self._loop = self._loop, None
        self._deadlines.close()
        if session is not None and loop is not None and not loop.is_closed():
            await session.close()  # (a no-op if already closed)


async def _async_chunks(body: Iterable[bytes]) -> AsyncIterator[bytes]:
    for chunk in body:
        yield chunk


async def _chunks(raw: Any, max_body_bytes: int) -> AsyncIterator[bytes]:
    try:
        expected = raw.content_length
        if (
            expected is not None
            and expected > max_body_bytes
            and not raw.headers.get("Content-Encoding")
        ):
            raise ResponseTooLarge(f"response body of {expected} bytes exceeds {max_body_bytes}")
        size = 0
        async for chunk in raw.content.iter_chunked(READ_CHUNK_BYTES):
            size += len(chunk)
            if size > max_body_bytes:
                raise ResponseTooLarge(f"response body exceeds {max_body_bytes} bytes")
            yield chunk
    except _socket_errors() as exc:
        raw.close()
        raise _translate(exc, sending=False) from None
    except BaseException:
        raw.close()
        raise


@lru_cache(maxsize=64)
def _client_timeout(total: float | None, connect: float | None, read: float | None) -> Any:
    """The ``ClientTimeout`` for these limits, made once per set of values (calls share one)."""
    return _aiohttp().ClientTimeout(total=total, sock_connect=connect, sock_read=read)


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
    if isinstance(exc, (aiohttp.ClientConnectorCertificateError, aiohttp.ClientSSLError)):
        return TLSError(f"TLS handshake failed: {reason}")
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return ConnectTimeout("timed out while connecting")
    if isinstance(exc, aiohttp.ClientConnectorError):
        return ConnectError(f"could not connect: {reason}")
    if isinstance(exc, asyncio.TimeoutError):
        return ReadTimeout("timed out waiting for the server")
    if isinstance(exc, aiohttp.ClientPayloadError) and "decod" in str(exc).lower():
        return DecodeError("could not decode the response's Content-Encoding")
    return ProtocolError(f"connection broken: {reason}")


def _reason(exc: BaseException) -> str:
    os_error = getattr(exc, "os_error", None)
    if isinstance(os_error, OSError) and os_error.strerror:
        return os_error.strerror
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return type(exc).__name__
