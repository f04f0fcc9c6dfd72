"""The length of the lines that frame a chunked response, watched as the bytes arrive.

aiohttp's C parser (llhttp) skips chunk extensions without buffering them and puts no limit
on them, so a chunk-size line of 70 KB (or an endless one) is accepted. ``http.client``,
under the sync transport, refuses a line over 64 KiB. ``ChunkLines`` is fed the raw bytes
of one response, as the socket delivers them, next to aiohttp's parser: it finds the end of
the head, follows the chunk sizes, and reports a size or trailer line over ``MAX_LINE``
bytes. It only measures: the parser still decides what is valid, and a form this reader
does not follow makes it stop watching rather than guess. A response that is not chunked
costs one search of its head. No I/O; ``feed`` returns a problem's text, or None.
"""

from __future__ import annotations

import re

#: Longest chunk-size or trailer line accepted, as for ``http.client`` in the sync client.
MAX_LINE = 65536

_HEAD, _SIZE, _DATA, _DATA_END, _TRAILERS, _OFF = range(6)
_HEAD_END = re.compile(rb"\r?\n\r?\n")
_CHUNKED = re.compile(rb"^transfer-encoding[ \t]*:[^\n]*chunked[ \t]*\r?$", re.I | re.M)


class ChunkLines:
    """The framing of one response, read alongside the real parser (see the module)."""

    __slots__ = ("_head", "_left", "_line", "_skip_body", "_state")

    def __init__(self, skip_body: bool = False) -> None:
        self._state = _HEAD
        self._head = b""  # the head so far, while it spans several reads
        self._line = bytearray()  # an unfinished framing line
        self._left = 0  # bytes of chunk data still to come
        self._skip_body = skip_body  # a HEAD request: no body, whatever the head says

    @property
    def watching(self) -> bool:
        """False once the response is framed otherwise, finished, or not understood."""
        return self._state != _OFF

    def feed(self, data: bytes) -> str | None:
        """Take the next bytes of the response; the problem found, if any."""
        position = 0
        if self._state == _HEAD:
            position = self._read_head(data)
        size = len(data)
        while position < size and self._state not in (_OFF, _HEAD):
            if self._state == _DATA:
                step = min(self._left, size - position)
                self._left -= step
                position += step
                if not self._left:
                    self._state = _DATA_END
                continue
            end = data.find(b"\n", position)
            stop = size if end < 0 else end + 1
            if len(self._line) + stop - position > MAX_LINE:
                self._state = _OFF
                return f"a chunked body's framing line is longer than {MAX_LINE} bytes"
            self._line += data[position:stop]
            position = stop
            if end >= 0:
                line, self._line = bytes(self._line).strip(), bytearray()
                self._take(line)
        return None

    def _read_head(self, data: bytes) -> int:
        """Find the end of the head in ``data``; return where the body starts in it."""
        head = self._head + data if self._head else data
        end = head.find(b"\r\n\r\n") + 4  # the common spelling, found without a regex
        if end == 3:
            found = _HEAD_END.search(head)
            if found is None:
                self._head = head
                return len(data)
            end = found.end()
        self._head = b""
        start = end - (len(head) - len(data))
        block = head[:end]
        status = block[9:12]
        if status.startswith(b"1"):  # an interim (1xx) head: the real one follows
            return start + self._read_head(data[start:]) if start < len(data) else len(data)
        chunked = b"hunked" in block.lower() and _CHUNKED.search(block) is not None
        skip = self._skip_body or status in (b"204", b"304")
        self._state = _SIZE if chunked and not skip else _OFF
        return start

    def _take(self, line: bytes) -> None:
        """Act on one complete framing line (stripped) in the current state."""
        if self._state == _DATA_END:
            self._state = _SIZE if not line else _OFF
        elif self._state == _SIZE:
            try:
                self._left = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                self._state = _OFF  # the parser will say what is wrong with it
                return
            self._state = _DATA if self._left else _TRAILERS
        elif self._state == _TRAILERS and not line:
            self._state = _OFF  # the blank line after the trailers: the response is complete
