"""Event streams over a client: ``api.events(method, path)``, sync and async, resumable.

``EventStream`` opens the request through the client (auth, rate limits, retries,
redirects and observers apply to the opening request), parses the body as it arrives and
yields ``ServerSentEvent``s. With ``reconnect=True`` (GET only), a stream that ends or
drops is opened again after the server's ``retry:`` delay (``default_retry`` before the
server names one), carrying ``Last-Event-ID``; ``max_reconnects`` drops in a row with no
event between them end it (with the drop's error). A ``204 No Content`` on reconnecting
means the server is done. Between events each read is bounded by the call's
``timeout.read`` (a heartbeat comment counts as traffic). Closing the stream (``break``,
``close()``, leaving the ``with`` block) releases the connection.
"""

from __future__ import annotations

from collections.abc import (
    AsyncGenerator,
    AsyncIterator,
    Awaitable,
    Callable,
    Generator,
    Iterator,
    Mapping,
)
from typing import Any, Generic, TypeVar

from apiclient.errors import DecodeError, TransportError
from apiclient.sse.parser import EventParser, ServerSentEvent
from apiclient.streaming import AsyncStreamedResponse, StreamedResponse

E = TypeVar("E")
OpenSync = Callable[[Mapping[str, str]], StreamedResponse]
OpenAsync = Callable[[Mapping[str, str]], Awaitable[AsyncStreamedResponse]]


class _Resumption:
    """What both flavours share: the parser's state across connections, and the rules."""

    def __init__(
        self,
        *,
        reconnect: bool,
        max_reconnects: int,
        default_retry: float,
        last_event_id: str | None,
        max_event_bytes: int,
        max_line_bytes: int,
        model: Any,
    ) -> None:
        self.reconnect = reconnect
        self.max_reconnects = max_reconnects
        self.default_retry = default_retry
        self.last_event_id = last_event_id
        self.retry: int | None = None  # the server's retry:, milliseconds
        self._limits = {"max_event_bytes": max_event_bytes, "max_line_bytes": max_line_bytes}
        self._model = model
        self.drops = 0
        self.closed = False

    def headers(self) -> dict[str, str]:
        headers = {"Accept": "text/event-stream", "Cache-Control": "no-cache"}
        if self.last_event_id:
            headers["Last-Event-ID"] = self.last_event_id
        return headers

    def parser(self) -> EventParser:
        return EventParser(last_event_id=self.last_event_id, **self._limits)

    def check(self, response: StreamedResponse | AsyncStreamedResponse) -> bool:
        """Whether the response is an event stream to read (False: a 204, the server is done)."""
        if response.status == 204:
            return False
        kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "text/event-stream":
            raise DecodeError(f"expected an event stream (text/event-stream), got {kind!r}")
        return True

    def seen(self, events: list[ServerSentEvent], parser: EventParser) -> list[Any]:
        """Note a chunk's events (the newest ID and retry); what to yield for them."""
        self.drops = 0
        self.last_event_id = parser.last_event_id
        if parser.retry is not None:  # (a new connection's parser has not heard one yet)
            self.retry = parser.retry
        if self._model is None:
            return events
        return [event.json(self._model) for event in events]

    def after_drop(self, error: TransportError | None, parser: EventParser) -> float | None:
        """Seconds to wait before reconnecting, or None to end; raises a drop not to retry."""
        self.last_event_id = parser.last_event_id
        self.retry = parser.retry if parser.retry is not None else self.retry
        self.drops += 1
        if not self.reconnect or self.closed or self.drops > self.max_reconnects:
            if error is not None:
                raise error
            return None
        return self.default_retry if self.retry is None else self.retry / 1000


class EventStream(_Resumption, Generic[E]):
    """The events of ``api.events(...)``: iterate, or use it as a context manager.

    It yields ``ServerSentEvent``s, or with ``model=`` each event's data built into it.
    """

    def __init__(self, open_stream: OpenSync, sleep: Callable[[float], Any], **rules: Any) -> None:
        super().__init__(**rules)
        self._open = open_stream
        self._sleep = sleep
        self._response: StreamedResponse | None = None
        self._events = self._run()

    def _run(self) -> Generator[E, None, None]:
        while True:
            self._response = response = self._open(self.headers())
            parser = self.parser()
            error: TransportError | None = None
            try:
                if not self.check(response):
                    return
                for chunk in response.iter_bytes():
                    events = parser.feed(chunk)
                    if events:
                        yield from self.seen(events, parser)
            except TransportError as exc:  # dropped mid-stream, or no traffic within read
                error = exc
            finally:
                response.close()
            wait = self.after_drop(error, parser)
            if wait is None:
                return
            self._sleep(wait)

    def __iter__(self) -> Iterator[E]:
        return self._events  # the generator itself: one frame less per event

    def __next__(self) -> E:
        return next(self._events)

    def close(self) -> None:
        """Stop and release the connection."""
        self.closed = True
        self._events.close()
        if self._response is not None:
            self._response.close()

    def __enter__(self) -> EventStream[E]:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<EventStream last_event_id={self.last_event_id!r}>"


class AsyncEventStream(_Resumption, Generic[E]):
    """``EventStream`` for ``AsyncAPIClient``: ``async with`` and ``async for``."""

    def __init__(
        self, open_stream: OpenAsync, sleep: Callable[[float], Awaitable[Any]], **rules: Any
    ) -> None:
        super().__init__(**rules)
        self._open = open_stream
        self._sleep = sleep
        self._response: AsyncStreamedResponse | None = None
        self._events = self._run()

    async def _run(self) -> AsyncGenerator[E, None]:
        while True:
            self._response = response = await self._open(self.headers())
            parser = self.parser()
            error: TransportError | None = None
            try:
                if not self.check(response):
                    return
                async for chunk in response.aiter_bytes():
                    events = parser.feed(chunk)
                    if events:
                        for value in self.seen(events, parser):
                            yield value
            except TransportError as exc:
                error = exc
            finally:
                await response.aclose()
            wait = self.after_drop(error, parser)
            if wait is None:
                return
            await self._sleep(wait)

    def __aiter__(self) -> AsyncIterator[E]:
        return self._events

    async def __anext__(self) -> E:
        return await self._events.__anext__()

    async def aclose(self) -> None:
        """Stop and release the connection."""
        self.closed = True
        await self._events.aclose()
        if self._response is not None:
            await self._response.aclose()

    close = aclose

    async def __aenter__(self) -> AsyncEventStream[E]:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"<AsyncEventStream last_event_id={self.last_event_id!r}>"
