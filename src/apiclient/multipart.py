"""``multipart/form-data`` bodies that stream files instead of reading them into memory.

``api.post("/upload", data={"title": "x"}, files={"file": Path("big.bin")})``. A file can be:

- a ``pathlib.Path`` (or any ``os.PathLike``): opened and read in chunks while sending;
- an open binary file object: read in chunks from its current position (rewound for a retry
  when it is seekable);
- ``bytes`` or ``str``: the content itself;
- a tuple ``(filename, file)`` or ``(filename, file, content_type)`` with any of the above.

The body knows its exact length up front (``Content-Length``, no chunked encoding), and it
can be iterated again, so a retry or a 307/308 redirect resends the same bytes.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import IO, TYPE_CHECKING, Any, Union

from apiclient.defaults import READ_CHUNK_BYTES
from apiclient.policies.urls import _param_text

if TYPE_CHECKING:
    from pathlib import Path

FileContent = Union[bytes, str, "os.PathLike[str]", IO[bytes]]
FileSpec = FileContent | tuple[str, FileContent] | tuple[str, FileContent, str]


class MultipartBody:
    """A re-iterable multipart body with a known length (``len(body)``)."""

    def __init__(
        self,
        fields: Mapping[str, Any] | None,
        files: Mapping[str, FileSpec],
        boundary: str | None = None,
    ) -> None:
        self.boundary: str = boundary or f"apiclient-{os.urandom(16).hex()}"
        self._parts: list[tuple[bytes, _Source]] = []
        for name, value in (fields or {}).items():
            for item in value if isinstance(value, (list, tuple)) else (value,):
                if item is not None:
                    self._parts.append((self._head(name), _Bytes(_param_text(item).encode())))
        for name, spec in files.items():
            filename, source, content_type = _file_source(name, spec)
            self._parts.append((self._head(name, filename, content_type), source))
        self._tail = f"--{self.boundary}--\r\n".encode()

    @property
    def content_type(self) -> str:
        """The ``Content-Type`` header value, boundary included."""
        return f"multipart/form-data; boundary={self.boundary}"

    def __len__(self) -> int:
        return sum(len(head) + source.size() + 2 for head, source in self._parts) + len(self._tail)

    def __iter__(self) -> Iterator[bytes]:
        for head, source in self._parts:
            yield head
            yield from source.chunks()
            yield b"\r\n"
        yield self._tail

    def to_bytes(self) -> bytes:
        """The whole body at once (for tests and small bodies).

        Deliberately not called ``read``: HTTP libraries take an object with ``read`` for a
        file and would bypass the known length and the re-iteration.
        """
        return b"".join(self)

    def _head(
        self, name: str, filename: str | None = None, content_type: str | None = None
    ) -> bytes:
        disposition = f'form-data; name="{_quote(name)}"'
        if filename is not None:
            disposition += f'; filename="{_quote(filename)}"'
        lines = [f"--{self.boundary}", f"Content-Disposition: {disposition}"]
        if content_type is not None:
            lines.append(f"Content-Type: {content_type}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    def __repr__(self) -> str:
        return f"<MultipartBody {len(self._parts)} parts>"


def _quote(value: str) -> str:
    """Escape a name for a quoted header parameter (as HTML forms do): no CR, LF or quote."""
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


class _Source:
    def size(self) -> int:
        raise NotImplementedError

    def chunks(self) -> Iterator[bytes]:
        raise NotImplementedError


class _Bytes(_Source):
    def __init__(self, data: bytes) -> None:
        self.data = data

    def size(self) -> int:
        return len(self.data)

    def chunks(self) -> Iterator[bytes]:
        yield self.data


class _PathSource(_Source):
    def __init__(self, path: Path) -> None:
        self.path = path

    def size(self) -> int:
        return self.path.stat().st_size

    def chunks(self) -> Iterator[bytes]:
        with self.path.open("rb") as handle:
            while chunk := handle.read(READ_CHUNK_BYTES):
                yield chunk


class _FileSource(_Source):
    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.start = handle.tell() if handle.seekable() else None

    def size(self) -> int:
        if self.start is None:
            raise ValueError("an unseekable file needs its size known: pass bytes or a path")
        end = self.handle.seek(0, os.SEEK_END)
        self.handle.seek(self.start)
        return end - self.start

    def chunks(self) -> Iterator[bytes]:
        if self.start is not None:
            self.handle.seek(self.start)  # a retry sends the same bytes again
        while chunk := self.handle.read(READ_CHUNK_BYTES):
            yield chunk


def _file_source(name: str, spec: FileSpec) -> tuple[str, _Source, str]:
    filename: str | None = None
    content_type: str | None = None
    content: Any = spec
    if isinstance(spec, tuple):
        filename, content = spec[0], spec[1]
        content_type = spec[2] if len(spec) > 2 else None
    source: _Source
    if isinstance(content, (bytes, str)):
        source = _Bytes(content.encode() if isinstance(content, str) else content)
    elif isinstance(content, os.PathLike):
        from pathlib import Path  # imported on first upload, not with apiclient

        path = Path(content)
        source, filename = _PathSource(path), filename or path.name
    elif hasattr(content, "read"):
        source = _FileSource(content)
        filename = filename or os.path.basename(str(getattr(content, "name", "")))
    else:
        raise TypeError(f"unsupported file for {name!r}: {type(content).__name__}")
    filename = filename or name
    import mimetypes  # reads the system's type tables: only when a file is uploaded

    guessed = mimetypes.guess_type(filename)[0]
    return filename, source, content_type or guessed or "application/octet-stream"
