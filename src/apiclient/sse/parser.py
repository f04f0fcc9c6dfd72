"""Server-Sent Events, parsed as the WHATWG HTML standard says ("Parsing an event stream").

The stream is UTF-8 (invalid bytes become U+FFFD), one leading BOM is dropped, and lines
end with CRLF, LF or CR, in any mix, even when a CRLF is split between two reads. A line
that starts with ``:`` is a comment (servers send them as heartbeats). ``field: value``
lines build the event (one space after the colon is dropped): ``data`` lines are joined
with LF, ``event`` names the type (``message`` when absent), ``id`` sets the last event ID
(kept for the events after it, and ignored if it contains NUL), ``retry`` the reconnection
delay in milliseconds (digits only). An empty line dispatches the event; an event without
data is not dispatched; an event the stream ends in the middle of is dropped.

Memory is bounded: a line longer than ``max_line_bytes`` or an event's data longer than
``max_event_bytes`` raises ``ResponseTooLarge`` (characters are counted, which is what is
held).
"""

from __future__ import annotations

import codecs
import re
from typing import Any, NamedTuple

from apiclient.errors import ResponseTooLarge

#: Defaults: the largest event's data, and the longest line, held while parsing.
MAX_EVENT_BYTES = 1024 * 1024
MAX_LINE_BYTES = 1024 * 1024

_LINE_END = re.compile(r"\r\n|\r|\n")
#: Large reads are parsed in slices of this size: the lines of 64 KiB stay in the CPU's
#: caches, those of a 256 KiB read do not (measured: a third faster, bench/sse.py).
_SLICE = 64 * 1024


class ServerSentEvent(NamedTuple):
    """One event: its type, its data (lines joined by LF), the last event ID, ``retry`` (ms).

    A named tuple: made once per event, it must cost little (a stream may carry thousands
    a second).
    """

    event: str = "message"
    data: str = ""
    id: str | None = None
    retry: int | None = None

    def json(self, model: Any = None) -> Any:
        """The data as JSON, built into ``model`` when given (as ``Response.json``)."""
        from apiclient.decoders import decode_json

        return decode_json(self.data.encode(), model, what="an event's data")


class EventParser:
    """Feed it the body's bytes as they come; it returns the events each chunk completes."""

    def __init__(
        self,
        *,
        last_event_id: str | None = None,
        max_event_bytes: int = MAX_EVENT_BYTES,
        max_line_bytes: int = MAX_LINE_BYTES,
    ) -> None:
        self.last_event_id = last_event_id
        #: The server's latest ``retry:`` (milliseconds), or None.
        self.retry: int | None = None
        self._max_event = max_event_bytes
        self._max_line = max_line_bytes
        self._decode = codecs.getincrementaldecoder("utf-8")(errors="replace").decode
        self._rest = ""
        self._started = False  # past the first character (a BOM there is dropped)
        self._after_cr = False  # the last chunk ended in CR: an LF starting the next is its pair
        self._data: list[str] = []
        self._type = ""

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """The events completed by ``chunk``."""
        if len(chunk) <= _SLICE:
            return self._feed(chunk)
        events: list[ServerSentEvent] = []
        for start in range(0, len(chunk), _SLICE):
            events += self._feed(chunk[start : start + _SLICE])
        return events

    def _feed(self, chunk: bytes) -> list[ServerSentEvent]:
        text = self._decode(chunk)
        if not text:
            return []
        if not self._started:
            self._started = True
            text = text.removeprefix("\ufeff")
        if self._after_cr and text.startswith("\n"):
            text = text[1:]
        self._after_cr = text.endswith("\r")
        text = self._rest + text if self._rest else text
        lines = text.split("\n") if "\r" not in text else _LINE_END.split(text)
        self._rest = lines.pop()
        if len(self._rest) > self._max_line:
            raise ResponseTooLarge(f"an event stream line is longer than {self._max_line} bytes")
        return self._lines(lines)

    def _lines(self, lines: list[str]) -> list[ServerSentEvent]:
        """The events these complete lines dispatch (``data`` and ``id`` first: the hot path).

        Written for speed (locals, the tuple made directly): it runs once per line.
        """
        events: list[ServerSentEvent] = []
        data, kind, last_id, retry = self._data, self._type, self.last_event_id, self.retry
        limit, make, event_class = self._max_event, tuple.__new__, ServerSentEvent
        for line in lines:
            if not line:
                if data:
                    text = data[0] if len(data) == 1 else "\n".join(data)
                    if len(text) > limit:
                        raise self._too_large()
                    events.append(make(event_class, (kind or "message", text, last_id, retry)))
                    data = []
                kind = ""
            elif line.startswith("data:"):
                data.append(line[6:] if line[5:6] == " " else line[5:])
            elif line.startswith("id:"):
                value = line[4:] if line[3:4] == " " else line[3:]
                if "\0" not in value:
                    last_id = value
            elif line[0] != ":":
                self._data, self._type, self.last_event_id = data, kind, last_id
                self._field(line)
                data, kind, last_id, retry = self._data, self._type, self.last_event_id, self.retry
        self._data, self._type, self.last_event_id = data, kind, last_id
        if data and sum(map(len, data)) + len(data) > limit:  # an event in progress
            raise self._too_large()
        return events

    def _too_large(self) -> ResponseTooLarge:
        return ResponseTooLarge(f"an event's data is longer than {self._max_event} bytes")

    def _field(self, line: str) -> None:
        name, colon, value = line.partition(":")
        if colon and value[:1] == " ":
            value = value[1:]
        if name == "data":  # ("data" alone: "data:" lines are handled in _lines)
            self._data.append(value)
        elif name == "event":
            self._type = value
        elif name == "id":
            if "\0" not in value:
                self.last_event_id = value
        elif name == "retry" and value.isascii() and value.isdigit():
            self.retry = int(value)
