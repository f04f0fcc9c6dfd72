"""Record a client's exchanges with a real API once, replay them offline: ``cassette``.

    from apiclient.testing import cassette

    with cassette("tests/cassettes/user.json"):
        assert GitHub(token=os.environ.get("GITHUB_TOKEN", "-")).user("octocat")["id"] == 583231

The first run (no file yet) talks to the API and writes the file; later runs replay it
and never open a socket. It works at the transport layer of every ``APIClient`` and
``AsyncAPIClient`` used inside the block (made before or inside it; nothing is patched),
so retries, pagination, OAuth token requests, streams and event streams are recorded and
replayed like any exchange. Modes:

- ``"once"`` (default): replay if the file exists, else record it;
- ``"new_episodes"``: replay what matches, record (and append) what does not;
- ``"none"``: replay only (the file must exist);
- ``"all"``: record everything again, replacing the file.

Replay matches a request on ``match_on`` (default method and URL; add ``"body"``), each
recorded interaction once, in order. A request nothing matches raises ``CassetteError``
(an ``AssertionError``) at once; interactions left unplayed raise it on leaving the block
(``allow_unused=True`` to permit). The file is JSON, one interaction per entry, bodies as
JSON or text when they are, secrets scrubbed (see ``apiclient.testing.scrubbing``, and
``secrets=`` / ``scrubbers=`` to add your own). It is written only when the block ends
without an error. Use it as a context manager (``with`` or ``async with``), a decorator, or
through the pytest ``cassette`` fixture and marker.
"""

from __future__ import annotations

import base64
import functools
import inspect
import json
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Literal, TypeVar

from apiclient import _intercept, errors
from apiclient.auth.base import secrets_of
from apiclient.errors import ResponseTooLarge, TransportError
from apiclient.models import AsyncBodyStream, BodyStream, Headers, Request, Response
from apiclient.testing.scrubbing import Interaction, Scrubber, Scrubbing

CassetteMode = Literal["once", "new_episodes", "none", "all"]
MODES = ("once", "new_episodes", "none", "all")
F = TypeVar("F", bound=Callable[..., Any])

#: Headers not kept: the recorded body is the decoded one, its framing is the replay's own.
_FRAMING = frozenset({"content-encoding", "content-length", "transfer-encoding", "connection",
                      "keep-alive"})  # fmt: skip
_FORMAT = 1


class CassetteError(AssertionError):
    """A replay that does not match its cassette, or a cassette not played to its end."""


class Cassette:
    """One cassette file and how it is played (see the module)."""

    def __init__(
        self,
        path: str | Path,
        mode: CassetteMode = "once",
        *,
        match_on: Iterable[str] = ("method", "url"),
        secrets: Iterable[str] = (),
        scrubbers: Iterable[Scrubbing] = (),
        allow_unused: bool = False,
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        self.path = Path(path)
        self.mode: CassetteMode = mode
        self.match_on = frozenset(match_on)
        if not self.match_on <= {"method", "url", "body"}:
            raise ValueError('match_on takes "method", "url" and "body"')
        self.allow_unused = allow_unused
        self._secrets, self._scrubbers = tuple(secrets), tuple(scrubbers)
        self._reset()

    def _reset(self) -> None:
        self.scrubber = Scrubber(self._secrets, self._scrubbers)
        #: The interactions on the tape, recorded ones included, in order.
        self.interactions: list[Interaction] = []
        self._played: list[bool] = []
        self._recorded = 0
        self._pending: list[tuple[Interaction, bytearray]] = []  # streams still being read
        self._fresh = False  # no file when the block began
        self._auths: dict[int, Any] = {}  # the auth objects seen: their secrets, at the end

    @property
    def recording(self) -> bool:
        """Whether requests nothing matches go to the network (and onto the tape)."""
        return self.mode in ("all", "new_episodes") or (self.mode == "once" and self._fresh)

    # -- entering and leaving -----------------------------------------------------------

    def __enter__(self) -> Cassette:
        self._reset()
        exists = self.path.exists()
        if self.mode == "none" and not exists:
            raise CassetteError(f"no cassette at {self.path} (record it with mode='once')")
        self._fresh = not exists
        if exists and self.mode != "all":
            self.interactions = _load(self.path)
            self._played = [False] * len(self.interactions)
        _intercept.active.append(self)
        return self

    def __exit__(self, error_type: object, *rest: object) -> None:
        _intercept.active.remove(self)
        if error_type is not None:
            return  # the test's own error is the one to see; nothing is written
        self._finish_streams()
        if self._recorded:
            self._save()
        unplayed = [i for i, played in enumerate(self._played) if not played]
        if unplayed and not self.allow_unused and not self.recording:
            listed = "\n".join(f"  {_describe(self.interactions[i])}" for i in unplayed)
            raise CassetteError(f"{len(unplayed)} interaction(s) of {self.path} were not "
                                f"played:\n{listed}")  # fmt: skip

    async def __aenter__(self) -> Cassette:
        return self.__enter__()

    async def __aexit__(self, error_type: object, *rest: object) -> None:
        self.__exit__(error_type, *rest)

    def __call__(self, function: F) -> F:
        """Use as a decorator: the cassette plays for each call of ``function``."""
        if inspect.iscoroutinefunction(function):

            @functools.wraps(function)
            async def playing_async(*args: Any, **kwargs: Any) -> Any:
                with self:
                    return await function(*args, **kwargs)

            return playing_async  # type: ignore[return-value]

        @functools.wraps(function)
        def playing(*args: Any, **kwargs: Any) -> Any:
            with self:
                return function(*args, **kwargs)

        return playing  # type: ignore[return-value]

    # -- what the transports ask --------------------------------------------------------

    def wrap(self, client: Any, transport: Any) -> Any:
        """The stand-in for ``transport`` while this cassette plays (``_intercept``)."""
        self.scrubber.learn(secrets_of(client.auth), getattr(client, "_safe_params", None))
        if client.auth is not None:
            self._auths[id(client.auth)] = client.auth
        if getattr(client, "_AWAITS", False):
            return _AsyncTape(self, transport)
        return _Tape(self, transport)

    def play(self, request: Request) -> Interaction | None:
        """The unplayed interaction answering ``request``; None: record it (or raise)."""
        key = self._key(request)
        for index, entry in enumerate(self.interactions):
            if not self._played[index] and self._key_of(entry) == key:
                self._played[index] = True
                return entry
        if not self.recording:
            raise CassetteError(self._no_match(request))
        return None

    def answer(
        self, request: Request, max_body_bytes: int, stream: bool,
        streamed: Callable[[bytes], BodyStream | AsyncBodyStream],
    ) -> tuple[Request, Response | None]:  # fmt: skip
        """The request to send (its body read into bytes), and the replayed answer if any.

        ``streamed`` makes a replayed body into the tape's kind of stream.
        """
        request = _materialized(request)
        found = self.play(request)
        if found is None:
            return request, None
        data, replay = _replayed(found, request, max_body_bytes, stream)
        if stream:
            replay.stream = streamed(data)
        return request, replay

    def kept(self, request: Request, response: Response) -> Response:
        """``response``, recorded; a stream's chunks go onto the tape as they are read."""
        pending = self.record(request, response, None)
        if pending is None:
            return response
        if isinstance(response.stream, BodyStream):
            response.stream = _teed(response.stream, self, *pending)
        elif isinstance(response.stream, AsyncBodyStream):
            response.stream = _async_teed(response.stream, self, *pending)
        return response

    def record(
        self, request: Request, response: Response | None, error: Exception | None
    ) -> tuple[Interaction, bytearray] | None:
        """Put an exchange on the tape; for a stream, the buffer its chunks go into."""
        entry: Interaction = {"request": _request_entry(request)}
        buffer = None
        if error is not None:
            entry["error"] = {"type": type(error).__name__, "message": str(error)}
        elif response is not None:
            entry["response"] = _response_entry(response)
            if response.stream is not None:
                buffer = bytearray()
                self._pending.append((entry, buffer))
        self.interactions.append(self.scrubber.interaction(entry) if buffer is None else entry)
        self._played.append(True)
        self._recorded += 1
        return None if buffer is None else (entry, buffer)

    def finish_stream(self, entry: Interaction, buffer: bytearray) -> None:
        """A recorded stream was closed: its body is what was read of it."""
        for index, (pending, _) in enumerate(self._pending):
            if pending is entry:
                del self._pending[index]
                entry["response"]["body"] = _encoded(bytes(buffer), entry["response"]["headers"])
                self.scrubber.interaction(entry)
                return

    # -- inside ---------------------------------------------------------------------------

    def _key(self, request: Request) -> tuple[Any, ...]:
        return self._key_of({"request": _request_entry(request)}, scrub=True)

    def _key_of(self, entry: Interaction, scrub: bool = False) -> tuple[Any, ...]:
        recorded = entry["request"]
        if scrub:
            recorded = self.scrubber.interaction({"request": recorded})["request"]
        key: list[Any] = []
        if "method" in self.match_on:
            key.append(recorded["method"])
        if "url" in self.match_on:
            key.append(recorded["url"])
        if "body" in self.match_on:
            key.append(json.dumps(recorded.get("body"), sort_keys=True))
        return tuple(key)

    def _no_match(self, request: Request) -> str:
        unplayed = [_describe(e) for e, played in zip(self.interactions, self._played,
                                                     strict=True) if not played]  # fmt: skip
        listed = "\n".join(f"  {line}" for line in unplayed) or "  (none)"
        return (f"cassette {self.path} has no unplayed interaction matching "
                f"{request.method} {self.scrubber.url(request.url)} (on "
                f"{', '.join(sorted(self.match_on))}); unplayed:\n{listed}\n"
                "Record it again: delete the file, or use mode='new_episodes'.")  # fmt: skip

    def _finish_streams(self) -> None:
        for entry, buffer in list(self._pending):
            self.finish_stream(entry, buffer)

    def _save(self) -> None:
        for auth in self._auths.values():  # (a token fetched in the last call, say)
            self.scrubber.learn(secrets_of(auth))
        entries = [_as_written(self.scrubber.interaction(entry)) for entry in self.interactions]
        document = {"apiclient_cassette": _FORMAT, "interactions": entries}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
        self.path.write_text(text, encoding="utf-8")

    def __repr__(self) -> str:
        return f"<Cassette {str(self.path)!r} mode={self.mode!r}>"


def cassette(
    path: str | Path,
    mode: CassetteMode = "once",
    *,
    match_on: Iterable[str] = ("method", "url"),
    secrets: Iterable[str] = (),
    scrubbers: Iterable[Scrubbing] = (),
    allow_unused: bool = False,
) -> Cassette:
    """The cassette at ``path``, for ``with`` or as a decorator (see the module)."""
    return Cassette(path, mode, match_on=match_on, secrets=secrets, scrubbers=scrubbers,
                    allow_unused=allow_unused)  # fmt: skip


class _Tape:
    """A sync transport's stand-in: the recorded answer, or the real one, recorded."""

    def __init__(self, cassette: Cassette, inner: Any) -> None:
        self._cassette, self._inner = cassette, inner

    def send(
        self, request: Request, *, timeout: Any, max_body_bytes: int, stream: bool = False
    ) -> Response:
        request, replay = self._cassette.answer(request, max_body_bytes, stream, _sync_stream)
        if replay is not None:
            return replay
        try:
            response: Response = self._inner.send(
                request, timeout=timeout, max_body_bytes=max_body_bytes, stream=stream
            )
        except TransportError as error:
            self._cassette.record(request, None, error)
            raise
        return self._cassette.kept(request, response)


class _AsyncTape:
    """``_Tape`` for async transports: the same steps, the real send awaited."""

    def __init__(self, cassette: Cassette, inner: Any) -> None:
        self._cassette, self._inner = cassette, inner

    async def send(
        self, request: Request, *, timeout: Any, max_body_bytes: int, stream: bool = False
    ) -> Response:
        request, replay = self._cassette.answer(request, max_body_bytes, stream, _async_stream)
        if replay is not None:
            return replay
        try:
            response: Response = await self._inner.send(
                request, timeout=timeout, max_body_bytes=max_body_bytes, stream=stream
            )
        except TransportError as error:
            self._cassette.record(request, None, error)
            raise
        return self._cassette.kept(request, response)


def _materialized(request: Request) -> Request:
    """``request`` with a streamed body read into bytes, so it can be matched and kept."""
    body = request.body
    if body is None or isinstance(body, bytes):
        return request
    return Request(request.method, request.url, request.headers, b"".join(body))


def _request_entry(request: Request) -> dict[str, Any]:
    entry: dict[str, Any] = {"method": request.method, "url": request.url,
                             "headers": [[k, v] for k, v in request.headers.items()]}  # fmt: skip
    if request.body:
        assert isinstance(request.body, bytes)
        entry["body"] = _encoded(request.body, entry["headers"])
    return entry


def _response_entry(response: Response) -> dict[str, Any]:
    # (urllib3's and aiohttp's headers list a repeated one, Set-Cookie, once per value)
    headers = [[k, v] for k, v in response.headers.items() if k.lower() not in _FRAMING]
    entry: dict[str, Any] = {"status": response.status, "reason": response.reason,
                             "headers": headers}  # fmt: skip
    if response.stream is None:
        entry["body"] = _encoded(response.data, headers)
    return entry


def _encoded(data: bytes, headers: list[list[str]]) -> dict[str, Any]:
    """A body as the file keeps it: JSON when it is, else text, else base64."""
    kind = next((v for k, v in headers if k.lower() == "content-type"), "").lower()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(data).decode()}
    if "json" in kind and text:
        try:
            return {"json": json.loads(text)}
        except ValueError:
            pass
    return {"text": text}


def _decoded(body: dict[str, Any] | None) -> bytes:
    if not body:
        return b""
    if "json" in body:
        return json.dumps(body["json"]).encode()
    if "text" in body:
        return str(body["text"]).encode()
    return base64.b64decode(body["base64"])


def _replayed(
    entry: Interaction, request: Request, max_body_bytes: int, stream: bool
) -> tuple[bytes, Response]:
    """The recorded body and response (its ``stream`` for the tape to set), or the error."""
    if "error" in entry:
        kind = getattr(errors, entry["error"]["type"], None)
        if not (isinstance(kind, type) and issubclass(kind, TransportError)):
            kind = TransportError
        raise kind(entry["error"]["message"])
    recorded = entry["response"]
    data = _decoded(recorded.get("body"))
    if len(data) > max_body_bytes:
        raise ResponseTooLarge(f"response body exceeds {max_body_bytes} bytes")
    headers = Headers([(k, v) for k, v in recorded["headers"]])
    headers["Content-Length"] = str(len(data))
    reason = recorded.get("reason", "")
    return data, Response(recorded["status"], headers, b"" if stream else data, reason, request.url)


def _nothing() -> None:
    """Closing a replayed stream: nothing to release."""


def _teed(stream: BodyStream, tape: Cassette, entry: Interaction, buffer: bytearray) -> BodyStream:
    """``stream``, its chunks also written to ``buffer``; closing it finishes the entry."""
    chunks = iter(stream)

    def reading() -> Iterator[bytes]:
        for chunk in chunks:
            buffer.extend(chunk)
            yield chunk
        tape.finish_stream(entry, buffer)

    def close() -> None:
        stream.close()
        tape.finish_stream(entry, buffer)

    return BodyStream(reading(), close)


def _async_teed(
    stream: AsyncBodyStream, tape: Cassette, entry: Interaction, buffer: bytearray
) -> AsyncBodyStream:
    async def reading() -> AsyncIterator[bytes]:
        async for chunk in stream:
            buffer.extend(chunk)
            yield chunk
        tape.finish_stream(entry, buffer)

    def close() -> None:
        stream.close()
        tape.finish_stream(entry, buffer)

    return AsyncBodyStream(reading(), close)


def _sync_stream(data: bytes) -> BodyStream:
    return BodyStream(iter([data] if data else []), _nothing)


def _async_stream(data: bytes) -> AsyncBodyStream:
    async def chunks() -> AsyncIterator[bytes]:
        if data:
            yield data

    return AsyncBodyStream(chunks(), _nothing)


def _load(path: Path) -> list[Interaction]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise CassetteError(f"{path} is not a cassette (not JSON: {exc})") from None
    if not isinstance(document, dict) or document.get("apiclient_cassette") != _FORMAT:
        raise CassetteError(f"{path} is not an apiclient cassette (format {_FORMAT})")
    return [_as_read(entry) for entry in document["interactions"]]


def _as_written(entry: Interaction) -> Interaction:
    """Headers as an object, a repeated one as a list of its values (diff-friendly)."""
    written = {part: dict(value) for part, value in entry.items()}
    for part in ("request", "response"):
        if part in written:
            headers: dict[str, Any] = {}
            for name, value in written[part]["headers"]:
                before = headers.get(name)
                if before is None:
                    headers[name] = value
                elif isinstance(before, list):
                    before.append(value)
                else:
                    headers[name] = [before, value]
            written[part]["headers"] = headers
    return written


def _as_read(entry: Interaction) -> Interaction:
    for part in ("request", "response"):
        if part in entry:
            headers = entry[part].get("headers") or {}
            entry[part]["headers"] = [
                [name, item]
                for name, value in headers.items()
                for item in (value if isinstance(value, list) else [value])
            ]
    return entry


def _describe(entry: Interaction) -> str:
    request = entry["request"]
    return f"{request['method']} {request['url']}"
