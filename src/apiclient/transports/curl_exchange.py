"""What libcurl hands back during one exchange, gathered into apiclient's terms.

libcurl appends every header line to a list (status lines of ``1xx`` blocks, the final
block, trailers) and calls ``on_body`` for every piece of the decoded body. Here those
lines become a ``Headers`` with the framing checks of the urllib3 transport, the body is
counted against ``max_body_bytes`` as it arrives (a gzip bomb stops at the cap, not after
it), and a libcurl error code becomes an apiclient error whose text names no URL.
"""

from __future__ import annotations

import http
from collections.abc import Iterable

from apiclient.defaults import MAX_DRAIN_BYTES, STREAM_CHUNK_BYTES
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
from apiclient.models import Headers
from apiclient.policies.redirects import REDIRECT_STATUSES
from apiclient.transports.framing import framing_problem

#: libcurl's return values for a write callback that pauses, and a pre-request callback.
WRITE_PAUSE = 0x10000001
PREREQ_OK, PREREQ_ABORT = 0, 1


class CurlExchange:
    """The state of one exchange on a libcurl handle: the head so far, the body, a failure.

    One per handle, reused: ``start`` clears it for the next exchange. libcurl appends the
    header lines to ``raw_head`` itself (a C call, no Python frame per line); the final
    block is parsed once, when the first piece of body arrives or the exchange ends.
    """

    __slots__ = (
        "_parsed",
        "_skip_body",
        "buffered",
        "chunks",
        "code",
        "discard",
        "failure",
        "headers",
        "limit",
        "paused",
        "prereqs",
        "raw_head",
        "size",
        "status_line",
        "streaming",
    )

    def __init__(self) -> None:
        #: The header lines as libcurl hands them over (1xx blocks, the final one, trailers).
        self.raw_head: list[bytes] = []
        self._parsed = False
        self._skip_body = False
        #: The final status code and headers, parsed once when the head is complete.
        self.code: int = 0
        self.headers: Headers = Headers()
        self.chunks: list[bytes] = []
        #: Bytes in ``chunks`` (a stream pauses the transfer past ``STREAM_CHUNK_BYTES``).
        self.buffered: int = 0
        #: Drop the body as it comes (a stream closed early, drained to keep its connection).
        self.discard: bool = False
        self.failure: APIError | None = None
        self.limit: int = 0
        self.paused: bool = False
        #: Times libcurl was about to send the request (more than once: it would resend).
        self.prereqs: int = 0
        self.streaming: bool = False
        self.size: int = 0
        self.status_line: str = ""

    def start(self, max_body_bytes: int) -> None:
        """Forget the previous exchange (``raw_head`` is emptied: libcurl holds its append)."""
        self.raw_head.clear()
        self._parsed = self._skip_body = self.discard = self.paused = self.streaming = False
        self.chunks = []
        self.failure = None
        self.limit = max_body_bytes
        self.size = self.buffered = self.prereqs = self.code = 0
        self.status_line = ""

    def on_prereq(self, *_: object) -> int:
        """Libcurl's pre-request callback: refuse to send the same request twice.

        libcurl resends on its own when a kept-alive connection turns out dead; whether a
        request may be repeated is the client's decision, so the exchange fails instead.
        """
        self.prereqs += 1
        if self.prereqs == 1:
            return PREREQ_OK
        self.failure = ProtocolError(
            "connection broken: the server closed the connection without answering"
        )
        return PREREQ_ABORT

    def on_body(self, data: bytes) -> int | None:
        """Libcurl's write callback: keep the decoded body, bounded by the cap."""
        if not self._parsed and not self.head_done():
            return 0  # the head is malformed (``failure`` says how): stop the transfer
        if self._skip_body:  # a redirect's body: never kept, a small one read to the end
            self.size += len(data)
            return None if self.size <= MAX_DRAIN_BYTES else 0
        if self.streaming and self.buffered >= STREAM_CHUNK_BYTES and not self.discard:
            self.paused = True  # the caller has not read what is here: wait for it
            return WRITE_PAUSE  # (libcurl hands the same data over again on unpausing)
        self.size += len(data)
        if self.size > self.limit:
            self.failure = ResponseTooLarge(f"response body exceeds {self.limit} bytes")
            return 0  # (a short count: libcurl stops the transfer)
        if not self.discard:
            self.chunks.append(data)
            self.buffered += len(data)
        return None

    def head_done(self) -> bool:
        """Whether the final head is in and well-formed (parsed, once, on the first yes).

        A malformed head sets ``failure`` and stays not done.
        """
        if self._parsed:
            return True
        if self.failure is not None:
            return False
        head = final_head(self.raw_head)
        if head is None:
            return False
        self.status_line, headers, problem = head
        if problem is not None:
            self.failure = ProtocolError(f"malformed response: {problem}")
            return False
        self._parsed = True
        self.code = _status_code(self.status_line)
        self.headers = headers
        self._skip_body = self.code in REDIRECT_STATUSES and "location" in headers
        return True

    def take(self) -> bytes:
        """The body received and not yet taken (a stream's next chunk)."""
        chunks, self.chunks, self.buffered = self.chunks, [], 0
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def check_complete(self) -> None:
        """Refuse a transfer that ended inside the header block (libcurl takes it)."""
        if not self.head_done():
            if self.failure is not None:
                raise self.failure
            raise ProtocolError("malformed response: the server closed the connection "
                                "inside the header block")  # fmt: skip

    def reason(self) -> str:
        """The status line's reason phrase, or the standard one (HTTP/2 sends none)."""
        parts = self.status_line.split(" ", 2)
        if len(parts) == 3 and parts[2]:
            return parts[2]
        try:
            return http.HTTPStatus(self.code).phrase
        except ValueError:
            return ""

    @property
    def skipping_body(self) -> bool:
        """Whether the response is a redirect, whose body is dropped unread."""
        return self._skip_body

    def redirect_cut_short(self) -> bool:
        """Whether the transfer stopped because a redirect's body was too big to drain."""
        return self._skip_body and self.size > MAX_DRAIN_BYTES


def final_head(raw: list[bytes]) -> tuple[str, Headers, str | None] | None:
    """The final head once its blank line is in: status line, headers, framing problem.

    None until then. ``1xx`` blocks before it are passed over; lines after it (trailers)
    are not read.
    """
    block = final_block(raw)
    if block is None:
        return None
    pairs = split_header_lines(block[1])
    return block[0], Headers.joined(pairs), framing_problem(pairs)


def final_block(raw: Iterable[bytes]) -> tuple[str, list[str]] | None:
    """The final head's status line and header lines, once its blank line is in, or None."""
    status = ""
    lines: list[str] = []
    for line in raw:
        text = line.decode("latin-1")
        if text.startswith("HTTP/"):  # a new block (after a 1xx, or the first)
            status, lines = text.rstrip("\r\n"), []
        elif text in ("\r\n", "\n"):
            if _status_code(status) >= 200:
                return status, lines
            status, lines = "", []  # a 1xx block (another follows), or no status line
        else:
            lines.append(text)
    return None


def _status_code(status_line: str) -> int:
    """The status line's code (0 if it has none)."""
    code = status_line.split(" ", 2)[1:2]
    return int(code[0]) if code and code[0].isascii() and code[0].isdigit() else 0


def split_header_lines(lines: Iterable[str]) -> list[tuple[str, str]]:
    """``(name, value)`` pairs from raw header lines; a folded line continues the last."""
    pairs: list[tuple[str, str]] = []
    for line in lines:
        line = line.rstrip("\r\n")
        if line[:1] in (" ", "\t") and pairs:  # obsolete line folding (RFC 9112, 5.2)
            name, value = pairs[-1]
            pairs[-1] = (name, f"{value} {line.strip()}")
            continue
        name, _, value = line.partition(":")
        pairs.append((name.strip(), value.strip(" \t")))
    return pairs


#: libcurl's error codes (``CURLE_*``) by what they mean here.
_CONNECT = frozenset({5, 6, 7, 97})  # resolving the proxy or host, connecting, the proxy
_TLS = frozenset({35, 53, 54, 58, 59, 64, 66, 80, 83, 90, 91, 98})  # handshake, engine, keys
_CERTIFICATE = frozenset({51, 60})  # peer failed verification, host name mismatch
_TIMED_OUT = 28
_BAD_CODING = 61
_SEND_FAILED = 55


def translate(
    code: int, message: str, *, connected: bool, sent: bool, deadline_passed: bool = False
) -> APIError:
    """The apiclient error for libcurl's ``code`` (``message`` names a host, never a path).

    ``connected``: the connection was made; ``sent``: some of the request went out;
    ``deadline_passed``: the exchange ran out of its total time.
    """
    if code in _CONNECT:
        return ConnectError(f"could not connect: {message}")
    if code == _TIMED_OUT:
        if not connected:
            return ConnectTimeout("timed out while connecting")
        if deadline_passed:
            return ReadTimeout("the call's total time limit passed")
        return ReadTimeout("timed out waiting for the server")
    if code in _CERTIFICATE:
        return CertificateError(f"the server's certificate failed verification: {message}")
    if code in _TLS and not sent:
        return TLSError(f"TLS handshake failed: {message}")
    if code == _BAD_CODING:
        return DecodeError("could not decode the response's Content-Encoding")
    if code == _SEND_FAILED and not sent:
        return ConnectError(f"could not connect: {message}")
    return ProtocolError(f"connection broken: {message}")
