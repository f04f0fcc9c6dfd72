"""Server-Sent Events: the WHATWG parsing rules, then real streams on loopback, sync and async."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apiclient import (
    APIClient,
    AsyncAPIClient,
    DecodeError,
    ProtocolError,
    ResponseTooLarge,
    ServerSentEvent,
)
from apiclient.sse import EventParser
from apiclient.testing import FakeServer, RecordedRequest, Reply


def parse(*chunks: bytes, **options: Any) -> list[ServerSentEvent]:
    parser = EventParser(**options)
    return [event for chunk in chunks for event in parser.feed(chunk)]


# -- the parsing rules (pure logic) ---------------------------------------------------------


def test_the_standards_examples() -> None:
    # From the HTML standard's "Event stream interpretation" examples.
    stream = b"data: YHOO\ndata: +2\ndata: 10\n\n"
    assert parse(stream) == [ServerSentEvent(data="YHOO\n+2\n10")]
    stream = (
        b": test stream\n\ndata: first event\nid: 1\n\n"
        b"data:second event\nid\n\ndata:  third event\n\n"
    )
    assert parse(stream) == [
        ServerSentEvent(data="first event", id="1"),
        ServerSentEvent(data="second event", id=""),
        ServerSentEvent(data=" third event", id=""),
    ]
    assert parse(b"data\n\ndata\ndata\n\ndata:\n") == [
        ServerSentEvent(data=""),
        ServerSentEvent(data="\n"),
    ]  # the last, unterminated, is dropped
    assert parse(b"data:test\n\ndata: test\n\n") == [ServerSentEvent(data="test")] * 2


def test_event_types_ids_retry_and_what_is_ignored() -> None:
    stream = (
        b'\xef\xbb\xbfevent: update\r\nid: 7\r\nretry: 2500\r\ndata: {"n": 1}\r\n\r\n'
        b"id: a\0b\nretry: soon\nunknown: x\ndata: two\n\n"
        b"event: empty\n\n"  # no data: not dispatched, and the type does not leak on
        b"data: three\r\r"
    )
    assert parse(stream) == [
        ServerSentEvent("update", '{"n": 1}', "7", 2500),
        ServerSentEvent("message", "two", "7", 2500),  # an id with NUL is ignored
        ServerSentEvent("message", "three", "7", 2500),
    ]
    assert parse(stream)[0].json() == {"n": 1}


def test_a_crlf_split_between_reads_is_one_line_end() -> None:
    assert parse(b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n") == [ServerSentEvent(data="a\nb")]


def test_utf8_split_between_reads_and_invalid_bytes() -> None:
    text = "data: héllo ✓\n\n".encode()
    assert parse(*[text[i : i + 1] for i in range(len(text))]) == [ServerSentEvent(data="héllo ✓")]
    assert parse(b"data: \xff\n\n") == [ServerSentEvent(data="\ufffd")]


def test_limits_raise_typed_errors() -> None:
    with pytest.raises(ResponseTooLarge, match="line"):
        parse(b"data: " + b"x" * 100, max_line_bytes=50)
    with pytest.raises(ResponseTooLarge, match="event"):
        parse(b"data: 12345\n" * 10, max_event_bytes=50)


@st.composite
def streams(draw: st.DrawFn) -> bytes:
    lines = draw(
        st.lists(
            st.one_of(
                st.builds(lambda v: f"data: {v}", st.text(alphabet="ab é:", max_size=5)),
                st.sampled_from(["", ": ping", "event: x", "id: 3", "retry: 10", "data"]),
            ),
            max_size=12,
        )
    )
    ending = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    return ending.join([*lines, ""]).encode()


@given(streams(), st.lists(st.integers(min_value=1, max_value=7), max_size=20))
def test_any_chunking_gives_the_same_events(stream: bytes, cuts: list[int]) -> None:
    chunks, rest = [], stream
    for cut in cuts:
        chunks.append(rest[:cut])
        rest = rest[cut:]
    assert parse(*chunks, rest) == parse(stream)


# -- real streams ----------------------------------------------------------------------------


@dataclass
class Feed:
    """A streaming endpoint: events sent in odd chunkings, a drop, a resume, then 204."""

    server: FakeServer
    opened: list[RecordedRequest]
    drop_after_first: bool = True

    def route(self, request: RecordedRequest) -> Reply:
        self.opened.append(request)
        first = len(self.opened) == 1
        if len(self.opened) == 3:
            return Reply(204)  # the server is done: a client must not reconnect again

        def chunks() -> Iterator[bytes]:
            if first:
                yield b"retry: 10\n: hello\n\n"
                for byte in b"id: 1\ndata: one\n\n":  # one byte at a time
                    yield bytes([byte])
                yield b"id: 2\ndata: tw"
                yield b"o\n\n: heartbeat\n\n"
                if self.drop_after_first:
                    raise ConnectionResetError("the server went away mid-stream")
                return
            yield b"id: 3\ndata: three\n\n"

        return Reply(headers={"Content-Type": "text/event-stream"}, chunks=chunks)


@pytest.fixture
def feed(server: FakeServer) -> Feed:
    feed = Feed(server, [])
    server.add("GET /feed", feed.route)
    return feed


def test_events_arrive_and_a_dropped_stream_resumes_with_last_event_id(feed: Feed) -> None:
    api = APIClient(base_url=feed.server.url, sleep=lambda seconds: waits.append(seconds))
    waits: list[float] = []
    with api.events("GET", "/feed", reconnect=True) as events:
        seen = [(event.id, event.data) for event in events]
    assert seen == [("1", "one"), ("2", "two"), ("3", "three")]
    assert waits == [0.01, 0.01]  # the server's retry: 10 ms, before each reconnection
    assert "last-event-id" not in feed.opened[0].headers
    assert feed.opened[1].headers["last-event-id"] == "2"
    assert feed.opened[0].headers["accept"] == "text/event-stream"


def test_without_reconnect_a_drop_is_a_typed_error(feed: Feed) -> None:
    api = APIClient(base_url=feed.server.url)
    seen = []
    with pytest.raises(ProtocolError), api.events("GET", "/feed") as events:
        for event in events:
            seen.append(event.data)
    assert seen == ["one", "two"] and len(feed.opened) == 1


def test_reconnects_are_bounded(server: FakeServer) -> None:
    opened: list[RecordedRequest] = []

    def always_drops(request: RecordedRequest) -> Reply:
        opened.append(request)

        def chunks() -> Iterator[bytes]:
            yield b": nothing yet\n"
            raise ConnectionResetError

        return Reply(headers={"Content-Type": "text/event-stream"}, chunks=chunks)

    server.add("GET /flaky", always_drops)
    api = APIClient(base_url=server.url, sleep=lambda seconds: None)
    with pytest.raises(ProtocolError):
        list(api.events("GET", "/flaky", reconnect=True, max_reconnects=2))
    assert len(opened) == 3


def test_a_204_on_reconnecting_ends_the_stream(server: FakeServer) -> None:
    replies = iter([
        Reply(headers={"Content-Type": "text/event-stream"}, body=b"id: 9\ndata: last\n\n"),
        Reply(204),
    ])  # fmt: skip
    server.add("GET /done", lambda request: next(replies))
    api = APIClient(base_url=server.url, sleep=lambda seconds: None)
    assert [e.data for e in api.events("GET", "/done", reconnect=True)] == ["last"]


def test_not_an_event_stream_is_refused(server: FakeServer) -> None:
    server.add("GET /json", Reply(json={"not": "events"}))
    with pytest.raises(DecodeError, match="text/event-stream"):
        list(APIClient(base_url=server.url).events("GET", "/json"))


def test_an_endless_line_raises_within_the_cap(server: FakeServer) -> None:
    def endless() -> Iterator[bytes]:
        while True:
            yield b"x" * 4096

    server.add("GET /endless", Reply(headers={"Content-Type": "text/event-stream"}, chunks=endless))
    api = APIClient(base_url=server.url)
    with pytest.raises(ResponseTooLarge):
        list(api.events("GET", "/endless", max_line_bytes=64 * 1024))


def test_model_builds_each_events_data(server: FakeServer) -> None:
    @dataclass
    class Tick:
        n: int

    body = b"".join(b'data: {"n": %d}\n\n' % n for n in range(3))
    server.add("GET /ticks", Reply(headers={"Content-Type": "text/event-stream"}, body=body))
    ticks = list(APIClient(base_url=server.url).events("GET", "/ticks", model=Tick))
    assert ticks == [Tick(0), Tick(1), Tick(2)]


def test_breaking_out_releases_the_connection(server: FakeServer) -> None:
    stop = threading.Event()

    def forever() -> Iterator[bytes]:
        n = 0
        while not stop.is_set():
            n += 1
            yield b"data: %d\n\n" % n

    server.add("GET /forever", Reply(headers={"Content-Type": "text/event-stream"}, chunks=forever))
    server.add("GET /after", Reply(json={"ok": True}))
    api = APIClient(base_url=server.url, pool_maxsize=1)
    try:
        with api.events("GET", "/forever") as events:
            for event in events:
                if event.data == "5":
                    break
        assert api.get("/after", timeout=10) == {"ok": True}  # the one connection is free
    finally:
        stop.set()


def test_post_streams_open_once_and_refuse_reconnect(server: FakeServer) -> None:
    server.add("POST /chat", Reply(headers={"Content-Type": "text/event-stream"},
                                   body=b"data: hi\n\ndata: [DONE]\n\n"))  # fmt: skip
    api = APIClient(base_url=server.url)
    assert [e.data for e in api.events("POST", "/chat", json={"q": 1})] == ["hi", "[DONE]"]
    assert server.requests_to("/chat")[0].json() == {"q": 1}
    with pytest.raises(ValueError, match="GET"):
        api.events("POST", "/chat", reconnect=True)


def test_async_events_resume_too(feed: Feed) -> None:
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    async def main() -> list[tuple[str | None, str]]:
        async with (
            AsyncAPIClient(base_url=feed.server.url, sleep=record) as api,
            api.events("GET", "/feed", reconnect=True) as events,
        ):
            return [(event.id, event.data) async for event in events]

    assert asyncio.run(main()) == [("1", "one"), ("2", "two"), ("3", "three")]
    assert waits == [0.01, 0.01]
    assert feed.opened[1].headers["last-event-id"] == "2"


def test_async_drop_without_reconnect_is_a_typed_error(feed: Feed) -> None:
    async def main() -> list[str]:
        seen = []
        async with AsyncAPIClient(base_url=feed.server.url) as api:
            with pytest.raises(ProtocolError):
                async for event in api.events("GET", "/feed"):
                    seen.append(event.data)
        return seen

    assert asyncio.run(main()) == ["one", "two"]


def test_an_events_data_that_does_not_fit_its_model_is_a_validation_error() -> None:
    import dataclasses

    from apiclient import DecodeError, ValidationError
    from apiclient.sse import ServerSentEvent

    @dataclasses.dataclass
    class Tick:
        n: int

    assert ServerSentEvent(data='{"n": 1}').json(Tick) == Tick(1)
    with pytest.raises(ValidationError) as wrong:
        ServerSentEvent(data='{"n": "one"}').json(Tick)
    assert wrong.value.path == "$.n"
    with pytest.raises(DecodeError):
        ServerSentEvent(data="not json").json()
