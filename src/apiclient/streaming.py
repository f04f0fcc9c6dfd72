"""Streaming downloads: read a large body in chunks, or save it to a file, in bounded memory.

    with api.stream("GET", "/exports/2026.csv") as download:
        download.save("2026.csv", progress=lambda done, total: print(done, total))

The body is decoded (gzip, deflate...) as it is read, and ``max_body_bytes`` applies to the
decoded size, so a compression bomb stops there. ``save`` writes to a temporary file beside
the target and renames it into place only when the whole body has arrived, so a failed
download never leaves a truncated file behind.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Coroutine, Generator, Iterator, Mapping
from contextlib import contextmanager
from typing import IO, Any, TypeVar, overload

from apiclient.decoders import Decoder, decode_json
from apiclient.errors import APIError
from apiclient.models import AsyncBodyStream, BodyStream, Response

Progress = Callable[[int, "int | None"], object]
T = TypeVar("T")

#: Longest line ``iter_lines`` holds while waiting for its end.
MAX_LINE_BYTES = 1024 * 1024


class LineSplitter:
    """Cuts a byte stream into lines (LF or CRLF), holding at most ``MAX_LINE_BYTES``."""

    def __init__(self, max_line: int = MAX_LINE_BYTES) -> None:
        self._rest = b""
        self._max_line = max_line

    def feed(self, chunk: bytes) -> list[bytes]:
        """The lines that ``chunk`` completes."""
        from apiclient.errors import ResponseTooLarge

        data = self._rest + chunk if self._rest else chunk
        *lines, self._rest = data.split(b"\n")
        if len(self._rest) > self._max_line:
            raise ResponseTooLarge(f"a line of the body is longer than {self._max_line} bytes")
        return [line.removesuffix(b"\r") for line in lines]

    def end(self) -> list[bytes]:
        """The last line, if the body did not end with a line break."""
        rest, self._rest = self._rest, b""
        return [rest.removesuffix(b"\r")] if rest else []


@contextmanager
def _replaced_when_complete(target: str | os.PathLike[str]) -> Iterator[IO[bytes]]:
    """A temporary file beside ``target``, renamed onto it only if the block succeeds."""
    import tempfile  # only when saving: keeps ``import apiclient`` light

    path = os.fspath(target)
    directory, name = os.path.split(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{name}.")
    try:
        with os.fdopen(handle, "wb") as file:
            yield file
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


class _Unread:
    """What both streamed responses show before the body is read."""

    def __init__(self, response: Response, decoder: Decoder | None = None) -> None:
        self.response = response
        self._decoder = decoder
        self.status: int = response.status
        self.headers: Mapping[str, str] = response.headers
        self.url: str = response.url
        self.reason: str = response.reason

    def _model_of(self, data: bytes, model: Any) -> Any:
        """``data`` (one JSON text) made into ``model``, or parsed when ``model`` is None.

        Bad JSON raises ``DecodeError``, a value that does not fit ``ValidationError``.
        """
        return decode_json(
            data, model, self._decoder, status=self.response.status, what="a streamed body"
        )

    def _annotated(self, error: APIError) -> None:
        """Give a body-reading error the request it was reading for (redacted)."""
        request = self.response.request
        if error.request is None and request is not None:
            from apiclient.redaction import redacted_request

            error.request = redacted_request(request)

    @property
    def expected_size(self) -> int | None:
        """``Content-Length`` when the server sent one and the body is not encoded."""
        length = self.headers.get("content-length")
        if length is None or not length.isdigit() or self.headers.get("content-encoding"):
            return None
        return int(length)


class StreamedResponse(_Unread):
    """A response whose body has not been read yet. Use it as a context manager.

    ``for chunk in download`` is ``for chunk in download.iter_bytes()``.
    """

    def iter_bytes(self) -> Iterator[bytes]:
        """Yield the decoded body in chunks as they arrive."""
        stream = self.response.stream
        if stream is None:
            if self.response.data:
                yield self.response.data
            return
        assert isinstance(stream, BodyStream)
        try:
            yield from stream
        except APIError as error:
            self._annotated(error)
            raise

    def __iter__(self) -> Iterator[bytes]:
        return self.iter_bytes()

    def read(self) -> bytes:
        """The whole body at once (it must fit under ``max_body_bytes``)."""
        return b"".join(self.iter_bytes())

    def iter_lines(self) -> Iterator[bytes]:
        """Yield the body's lines (without their line breaks, LF or CRLF) as they arrive."""
        lines = LineSplitter()
        for chunk in self.iter_bytes():
            yield from lines.feed(chunk)
        yield from lines.end()

    @overload
    def json(self) -> Any: ...
    @overload
    def json(self, model: type[T]) -> T: ...
    def json(self, model: Any = None) -> Any:
        """The whole body as JSON, or built into ``model`` (``ValidationError`` if it won't fit)."""
        return self._model_of(self.read(), model)

    @overload
    def iter_json(self) -> Iterator[Any]: ...
    @overload
    def iter_json(self, model: type[T]) -> Iterator[T]: ...
    def iter_json(self, model: Any = None) -> Iterator[Any]:
        """Yield each line of a JSON Lines (NDJSON) body, parsed or built into ``model``."""
        for line in self.iter_lines():
            if line.strip():
                yield self._model_of(line, model)

    def save(
        self, target: str | os.PathLike[str] | IO[bytes], progress: Progress | None = None
    ) -> int:
        """Write the body to a path (atomically) or a binary file; return the bytes written.

        ``progress(done, total)`` is called after each chunk; ``total`` is None when unknown.
        """
        if not isinstance(target, (str, os.PathLike)):
            return self._copy(target, progress)
        with _replaced_when_complete(target) as file:
            return self._copy(file, progress)

    def _copy(self, file: IO[bytes], progress: Progress | None) -> int:
        written, total = 0, self.expected_size
        for chunk in self.iter_bytes():
            file.write(chunk)
            written += len(chunk)
            if progress is not None:
                progress(written, total)
        return written

    def close(self) -> None:
        """Release the connection (closing it if the body was not read to the end)."""
        self.response.close()

    def __enter__(self) -> StreamedResponse:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<StreamedResponse [{self.status}]>"


class AsyncStreamedResponse(_Unread):
    """``StreamedResponse`` for ``AsyncAPIClient``: ``async with``, ``aiter_bytes()``, ``save``.

    The chunks come from ``async for`` over ``aiter_bytes()``, over ``iter_bytes()`` (the
    sync client's name) or over the response itself: one stream, three spellings.
    """

    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        """Yield the decoded body in chunks as they arrive."""
        stream = self.response.stream
        if stream is None:
            if self.response.data:
                yield self.response.data
            return
        assert isinstance(stream, AsyncBodyStream)
        try:
            async for chunk in stream:
                yield chunk
        except APIError as error:
            self._annotated(error)
            raise

    def iter_bytes(self) -> AsyncIterator[bytes]:
        """``aiter_bytes()`` under the sync client's name, for ``async for``."""
        return self.aiter_bytes()

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self.aiter_bytes()

    async def read(self) -> bytes:
        """The whole body at once (it must fit under ``max_body_bytes``)."""
        return b"".join([chunk async for chunk in self.aiter_bytes()])

    async def iter_lines(self) -> AsyncIterator[bytes]:
        """Yield the body's lines (without their line breaks, LF or CRLF) as they arrive."""
        lines = LineSplitter()
        async for chunk in self.aiter_bytes():
            for line in lines.feed(chunk):
                yield line
        for line in lines.end():
            yield line

    @overload
    async def json(self) -> Any: ...
    @overload
    async def json(self, model: type[T]) -> T: ...
    async def json(self, model: Any = None) -> Any:
        """The whole body as JSON, or built into ``model`` (``ValidationError`` if it won't fit)."""
        return self._model_of(await self.read(), model)

    @overload
    def iter_json(self) -> AsyncIterator[Any]: ...
    @overload
    def iter_json(self, model: type[T]) -> AsyncIterator[T]: ...
    async def iter_json(self, model: Any = None) -> AsyncIterator[Any]:
        """Yield each line of a JSON Lines (NDJSON) body, parsed or built into ``model``."""
        async for line in self.iter_lines():
            if line.strip():
                yield self._model_of(line, model)

    async def save(
        self, target: str | os.PathLike[str] | IO[bytes], progress: Progress | None = None
    ) -> int:
        """Write the body to a path (atomically) or a binary file; return the bytes written."""
        if not isinstance(target, (str, os.PathLike)):
            return await self._copy(target, progress)
        with _replaced_when_complete(target) as file:
            return await self._copy(file, progress)

    async def _copy(self, file: IO[bytes], progress: Progress | None) -> int:
        written, total = 0, self.expected_size
        async for chunk in self.aiter_bytes():
            file.write(chunk)
            written += len(chunk)
            if progress is not None:
                progress(written, total)
        return written

    async def aclose(self) -> None:
        """Release the connection (closing it if the body was not read to the end)."""
        self.response.close()

    async def close(self) -> None:
        """``aclose()`` under the sync name."""
        await self.aclose()

    async def __aenter__(self) -> AsyncStreamedResponse:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"<AsyncStreamedResponse [{self.status}]>"


class AsyncStreamContext:
    """What ``AsyncAPIClient.stream`` returns: ``async with`` it, or ``await`` it.

    ``async with api.stream("GET", path) as download:`` is the sync spelling with ``async``
    added; the body is released on leaving the block. ``await api.stream(...)`` gives the
    ``AsyncStreamedResponse`` itself, for code that closes it later.
    """

    __slots__ = ("_opening", "_streamed")

    def __init__(self, opening: Coroutine[Any, Any, AsyncStreamedResponse]) -> None:
        self._opening = opening
        self._streamed: AsyncStreamedResponse  # set on entering; leaving follows entering

    def __await__(self) -> Generator[Any, None, AsyncStreamedResponse]:
        return self._opening.__await__()

    async def __aenter__(self) -> AsyncStreamedResponse:
        self._streamed = await self._opening
        return self._streamed

    async def __aexit__(self, *exc_info: object) -> None:
        await self._streamed.aclose()

    def __repr__(self) -> str:
        return "<AsyncStreamContext>"
