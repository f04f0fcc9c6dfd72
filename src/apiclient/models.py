"""The values that cross every boundary: headers, a request to send, a response received.

They carry data and no behaviour that does I/O, so policies, the request loop and
transports can pass them around (and tests can build them) freely.
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Generic, NamedTuple, TypeVar, overload

T = TypeVar("T")

HeaderSource = Mapping[str, str] | Iterable[tuple[str, str]]


class Headers(MutableMapping[str, str]):
    """Case-insensitive header mapping that keeps the spelling it was given.

    ``headers["content-type"]`` and ``headers["Content-Type"]`` are the same entry; iteration
    yields names as they were first set, which is how they go on the wire.
    """

    __slots__ = ("_entries",)

    def __init__(self, source: HeaderSource | None = None) -> None:
        self._entries: dict[str, tuple[str, str]] = {}
        if source is not None:
            self.update(source)

    def __getitem__(self, name: str) -> str:
        return self._entries[name.lower()][1]

    def __setitem__(self, name: str, value: str) -> None:
        self._entries[name.lower()] = (name, value)

    def __delitem__(self, name: str) -> None:
        del self._entries[name.lower()]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._entries

    def get(self, name: str, default: Any = None) -> Any:
        """The value of ``name`` (any case), or ``default`` (one dict lookup, no exception)."""
        entry = self._entries.get(name.lower())
        return default if entry is None else entry[1]

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Mapping):
            return NotImplemented
        theirs = {str(k).lower(): v for k, v in other.items()}
        return {k: v for k, (_, v) in self._entries.items()} == theirs

    __hash__ = None  # type: ignore[assignment]  # mutable mapping

    def as_dict(self) -> dict[str, str]:
        """A plain ``{name: value}`` dict, names as given (for transports; cheap)."""
        return dict(self._entries.values())

    def pairs(self) -> tuple[tuple[str, str], ...]:
        """The ``(name, value)`` pairs, names as given: comparable and hashable (cheap)."""
        return tuple(self._entries.values())

    def has_any(self, lowered_names: frozenset[str]) -> bool:
        """Whether one of ``lowered_names`` (lower-case) is here: one set operation."""
        return not lowered_names.isdisjoint(self._entries)

    @classmethod
    def joined(cls, pairs: Iterable[tuple[str, str]]) -> Headers:
        """Headers from ``(name, value)`` pairs, a repeated name's values joined by ``, ``.

        (How a transport turns a received head into one mapping, RFC 9110, 5.3.)
        """
        entries: dict[str, tuple[str, str]] = {}
        for name, value in pairs:
            key = name.lower()
            previous = entries.get(key)
            entries[key] = (name, value) if previous is None else (
                previous[0], f"{previous[1]}, {value}")  # fmt: skip
        headers = cls.__new__(cls)
        headers._entries = entries
        return headers

    def copy(self) -> Headers:
        """Return an independent copy (cheap: one dict copy)."""
        clone = Headers.__new__(Headers)  # (no __init__: its empty dict would be replaced)
        clone._entries = self._entries.copy()
        return clone

    def __repr__(self) -> str:
        # Values may be credentials; the redaction module shows safe ones where needed.
        return f"Headers({sorted(name for name in self)})"


@dataclass(frozen=True, slots=True, init=False)
class Request:
    """One HTTP request, ready to go on the wire (the URL already has its query string).

    ``body`` is bytes, or a re-iterable of byte chunks with a known ``Content-Length``
    header (a streamed upload), or None. Immutable: what auth and redirects change, they
    change in a new request.
    """

    method: str
    url: str
    headers: Headers
    body: bytes | Iterable[bytes] | None

    def __init__(
        self,
        method: str,
        url: str,
        headers: Headers | None = None,
        body: bytes | Iterable[bytes] | None = None,
    ) -> None:
        # A frozen dataclass's own __init__ goes through object.__setattr__, which costs
        # twice as much; one request is made per call, so the slots are filled directly.
        _set_method(self, method)
        _set_url(self, url)
        _set_headers(self, Headers() if headers is None else headers)
        _set_body(self, body)

    def __repr__(self) -> str:
        from apiclient.redaction import redact_url

        return f"<Request {self.method} {redact_url(self.url)}>"


_set_method, _set_url, _set_headers, _set_body = (
    getattr(Request, name).__set__ for name in ("method", "url", "headers", "body")
)


class BodyStream:
    """The unread body of a streamed response: iterate for chunks, ``close()`` to release.

    Transports make these; the chunks are decoded (gzip...) and bounded by the call's
    ``max_body_bytes``. Reading to the end returns the connection to the pool.
    """

    __slots__ = ("_chunks", "_close")

    def __init__(self, chunks: Iterator[bytes], close: Callable[[], None]) -> None:
        self._chunks = chunks
        self._close = close

    def __iter__(self) -> Iterator[bytes]:
        return self._chunks

    def close(self) -> None:
        """Release the connection (closing it if the body was not read to the end)."""
        self._close()


class AsyncBodyStream:
    """``BodyStream`` for async transports: ``async for`` the chunks, ``close()`` to release."""

    __slots__ = ("_chunks", "_close")

    def __init__(self, chunks: AsyncIterator[bytes], close: Callable[[], None]) -> None:
        self._chunks = chunks
        self._close = close

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._chunks

    def close(self) -> None:
        """Release the connection (closing it if the body was not read to the end)."""
        self._close()


def text_codec(charset: str | None, default: str = "utf-8") -> str:
    """``charset`` if Python has a text codec of that name, else ``default``."""
    if charset is None:
        return default
    return charset if is_text_codec(charset) else default


@lru_cache(maxsize=64)
def is_text_codec(name: str) -> bool:
    """Whether ``name`` is a text encoding Python knows (``rot13`` or ``zlib`` are not)."""
    try:
        b" ".decode(name, "replace")  # LookupError: unknown, or not a text codec
    except LookupError:
        return False
    return True


#: Mapping types a Response keeps as given; the first instance of each type is checked.
_CASE_INSENSITIVE: set[type] = {Headers}


def _keeps(headers: object) -> bool:
    """Whether ``headers`` is a non-dict mapping (a transport's own case-insensitive one).

    The answer is remembered per type: an ABC ``isinstance`` check costs a Python call, and
    every response of a transport has the same header type.
    """
    if headers is None or isinstance(headers, dict) or not isinstance(headers, Mapping):
        return False
    _CASE_INSENSITIVE.add(type(headers))
    return True


class Response:
    """A complete HTTP response: ``status``, ``headers`` (case-insensitive) and ``data`` bytes.

    This is what the seed's ``_handle_response(response)`` hook receives. ``url`` is the URL
    that produced it (after redirects), ``request`` the request that did (as built, before
    credentials were added) and ``attempts`` how many tries the call took. ``json()``
    (``json(model=Repo)`` for a typed value) and ``text`` decode ``data``;
    ``raise_for_status()`` raises the typed error for a 4xx or 5xx. ``status_code`` and
    ``content`` are ``status`` and ``data`` under the names requests and httpx use.
    """

    __slots__ = ("attempts", "data", "headers", "reason", "request", "status", "stream", "url")

    status: int
    headers: Mapping[str, str]
    data: bytes
    reason: str
    url: str
    attempts: int
    #: The unread body when the response was streamed (``data`` is then empty).
    stream: BodyStream | AsyncBodyStream | None
    #: The request that produced it, set by the client's loop (None if made by hand).
    request: Request | None

    def __init__(
        self,
        status: int,
        headers: Mapping[str, str] | None = None,
        data: bytes = b"",
        reason: str = "",
        url: str = "",
        *,
        stream: BodyStream | AsyncBodyStream | None = None,
    ) -> None:
        self.status = status
        # A transport's own case-insensitive mapping is kept as it is (no copy per call).
        given: Any = headers
        self.headers = (
            given if type(given) in _CASE_INSENSITIVE or _keeps(given) else Headers(headers)
        )
        self.data = data
        self.reason = reason
        self.url = url
        self.attempts = 1
        self.stream = stream
        self.request = None

    def __getstate__(self) -> tuple[None, dict[str, Any]]:
        """The state to pickle (errors carry their response into logs, queues, processes).

        The headers go as ``Headers``: a transport's own mapping (aiohttp's) may not pickle.
        """
        state = {name: getattr(self, name) for name in self.__slots__}
        if type(state["headers"]) is not Headers:
            state["headers"] = Headers(state["headers"].items())
        if state["request"] is not None:  # its headers may hold credentials: keep a safe copy
            from apiclient.redaction import redacted_request

            state["request"] = redacted_request(state["request"])
        return None, state

    @property
    def content_type(self) -> str:
        """The media type without parameters, lower-cased (``""`` when absent)."""
        value = self.headers.get("content-type", "")
        return value.split(";", 1)[0].strip().lower()

    @property
    def charset(self) -> str | None:
        """The ``charset`` parameter of ``Content-Type``, if the server sent one."""
        value = self.headers.get("content-type", "")
        for parameter in value.split(";")[1:]:
            name, _, charset = parameter.partition("=")
            if name.strip().lower() == "charset" and charset.strip():
                return charset.strip().strip('"')
        return None

    @property
    def text(self) -> str:
        """The body as text, in the declared charset (UTF-8 otherwise), never raising.

        Undecodable bytes become U+FFFD; a charset Python does not know is read as UTF-8.
        """
        return self.data.decode(text_codec(self.charset), errors="replace")

    @overload
    def json(self) -> Any: ...
    @overload
    def json(self, model: type[T]) -> T: ...
    def json(self, model: Any = None) -> Any:
        """The body parsed as JSON, or built into ``model`` (a dataclass, TypedDict...).

        Raises ``ValueError`` on bad JSON; with ``model``, ``ValueError`` (a
        ``decoders.Mismatch`` naming the field) when the body does not fit it.
        """
        if model is None:
            return jsonlib.loads(self.data)
        from apiclient.decoders import default_decoder

        return default_decoder().decode(self.data, model)

    @property
    def status_code(self) -> int:
        """``status``, under the name requests and httpx use."""
        return self.status

    @property
    def content(self) -> bytes:
        """``data``, under the name requests and httpx use."""
        return self.data

    def raise_for_status(self) -> Response:
        """Raise the typed error (``NotFound``, ``ServerError``...) for a 4xx or 5xx status.

        Returns the response itself otherwise, so that calls can be chained.
        """
        if self.status >= 400:
            from apiclient.errors import http_error_for

            raise http_error_for(self)
        return self

    def close(self) -> None:
        """Release a streamed body that will not be read; a no-op otherwise."""
        if self.stream is not None:
            self.stream.close()

    @property
    def ok(self) -> bool:
        """True for statuses below 400."""
        return self.status < 400

    def __repr__(self) -> str:
        from apiclient.redaction import redact_url

        request = self.request
        where = f" {request.method} {redact_url(self.url or request.url)}" if request else ""
        return f"<Response [{self.status}]{where} {len(self.data)} bytes>"


class Result(NamedTuple, Generic[T]):
    """A call's decoded value and the response it came from (``with_response=True``).

    ``value, response = api.get(path, model=Repo, with_response=True)``; errors are
    raised as for any call. ``headers`` and ``status`` are the response's.
    """

    value: T
    response: Response

    @property
    def headers(self) -> Mapping[str, str]:
        """The response's headers."""
        return self.response.headers

    @property
    def status(self) -> int:
        """The response's status."""
        return self.response.status
