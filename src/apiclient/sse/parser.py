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
import json
import re
from dataclasses import dataclass
from typing import Any

from apiclient.errors import ResponseTooLarge

#: Defaults: the largest event's data, and the longest line, held while parsing.
MAX_EVENT_BYTES = 1024 * 1024
MAX_LINE_BYTES = 1024 * 1024

_LINE_END = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True, slots=True)
class ServerSentEvent:
    """One event: its type, its data (lines joined by LF), the last event ID, ``retry`` (ms)."""

    event: str = "message"
    data: str = ""
    id: str | None = None
    retry: int | None = None

    def json(self, model: Any = None) -> Any:
        """The data as JSON, built into ``model`` when given (as ``Response.json``)."""
        from apiclient.decoders import default_decoder

        if model is None:
            return json.loads(self.data)
        return default_decoder().decode(self.data.encode(), model)


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
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._rest = ""
        self._started = False  # past the first character (a BOM there is dropped)
        self._after_cr = False  # the last chunk ended in CR: an LF starting the next is its pair
        self._data: list[str] = []
        self._size = 0
        self._type = ""

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """The events completed by ``chunk``."""
        text = self._decoder.decode(chunk)
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
        events: list[ServerSentEvent] = []
        for line in lines:
            if not line:
                event = self._dispatch()
                if event is not None:
                    events.append(event)
            elif line[0] != ":":
                self._field(line)
        return events

    def _field(self, line: str) -> None:
        name, colon, value = line.partition(":")
        if colon and value[:1] == " ":
            value = value[1:]
        if name == "data":
            self._size += len(value) + 1
            if self._size > self._max_event:
                raise ResponseTooLarge(f"an event's data is longer than {self._max_event} bytes")
            self._data.append(value)
        elif name == "event":
            self._type = value
        elif name == "id":
            if "\0" not in value:
                self.last_event_id = value
        elif name == "retry" and value.isascii() and value.isdigit():
            self.retry = int(value)

    def _dispatch(self) -> ServerSentEvent | None:
        data, kind = self._data, self._type
        self._data, self._size, self._type = [], 0, ""
        if not data:
            return None
        return ServerSentEvent(kind or "message", "\n".join(data), self.last_event_id, self.retry)
