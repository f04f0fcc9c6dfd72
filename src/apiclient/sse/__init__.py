"""Server-Sent Events (``text/event-stream``): the parser and the client's event streams."""

from apiclient.sse.parser import MAX_EVENT_BYTES, MAX_LINE_BYTES, EventParser, ServerSentEvent
from apiclient.sse.stream import AsyncEventStream, EventStream

__all__ = [
    "MAX_EVENT_BYTES",
    "MAX_LINE_BYTES",
    "AsyncEventStream",
    "EventParser",
    "EventStream",
    "ServerSentEvent",
]
