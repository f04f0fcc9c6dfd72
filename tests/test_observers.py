"""Observers: every call and attempt that starts ends exactly once, whatever happens."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Generator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apiclient import (
    APIError,
    AsyncAPIClient,
    AuthBase,
    ConnectError,
    OAuth2ClientCredentials,
    ReadTimeout,
    Request,
    Response,
    RetryPolicy,
    ServiceUnavailable,
    Timeouts,
)
from apiclient.effects import Effect, Send, Sleep
from apiclient.flow import CallSettings, exchange
from apiclient.observers import ObserverBase, TokenRequest
from apiclient.policies.redirects import RedirectPolicy
from apiclient.testing import FakeServer, Reply

from .conftest import Acme

MakeClient = Callable[..., Any]


class Recorder(ObserverBase):
    """Writes down every event, with the request's path and the outcome."""

    def __init__(self) -> None:
        self.events: list[tuple[Any, ...]] = []

    def call_started(self, request: Request) -> None:
        self.events.append(("call", _kind(request), _path(request)))

    def attempt_started(self, request: Request) -> None:
        self.events.append(("attempt", _kind(request), _path(request)))

    def attempt_ended(
        self, request: Request, response: Response | None, error: BaseException | None,
        duration: float,
    ) -> None:  # fmt: skip
        outcome = response.status if response is not None else type(error).__name__
        self.events.append(("attempt-end", _kind(request), outcome))

    def retry_scheduled(self, delay: float, cause: object) -> None:
        self.events.append(("retry", delay, cause))

    def waited(self, kind: str, seconds: float) -> None:
        self.events.append(("waited", kind, seconds))

    def call_ended(
        self, request: Request, response: Response | None, error: BaseException | None,
        duration: float,
    ) -> None:  # fmt: skip
        outcome = response.status if response is not None else type(error).__name__
        self.events.append(("call-end", _kind(request), outcome))

    def balanced(self) -> bool:
        """Each start has its end, in nested order."""
        stack: list[str] = []
        for event in self.events:
            if event[0] in ("call", "attempt"):
                stack.append(event[0])
            elif event[0] in ("call-end", "attempt-end") and (
                not stack or stack.pop() != event[0].removesuffix("-end")
            ):
                return False
        return not stack


def _path(request: Request) -> str:
    return request.url.split("/", 3)[-1].split("?")[0]


def _kind(request: Request) -> str:
    return "token" if isinstance(request, TokenRequest) else "api"


def test_a_retry_after_a_503_is_two_attempts_and_a_backoff(
    make_client: MakeClient, server: FakeServer
) -> None:
    server.add("/x", [Reply(503, headers={"Retry-After": "2"}), Reply(json="ok")])
    recorder = Recorder()
    assert make_client(server, observers=[recorder]).get("/x") == "ok"
    assert recorder.events == [
        ("call", "api", "x"),
        ("attempt", "api", "x"),
        ("attempt-end", "api", 503),
        ("retry", 2.0, 503),
        ("waited", "backoff", 2.0),
        ("attempt", "api", "x"),
        ("attempt-end", "api", 200),
        ("call-end", "api", 200),
    ]


def test_timeouts_then_a_success_end_every_attempt(
    make_client: MakeClient, server: FakeServer
) -> None:
    server.add("/slow", [Reply(hang=True), Reply(hang=True), Reply(json="ok")])
    recorder = Recorder()
    api = make_client(server, observers=[recorder], timeout=Timeouts(connect=2, read=0.2, total=30))
    assert api.get("/slow") == "ok"
    ends = [e[2] for e in recorder.events if e[0] == "attempt-end"]
    assert ends == ["ReadTimeout", "ReadTimeout", 200] and recorder.balanced()
    assert [e[2] for e in recorder.events if e[0] == "retry"] == ["ReadTimeout", "ReadTimeout"]


def test_a_failed_call_ends_with_its_error(make_client: MakeClient, server: FakeServer) -> None:
    server.add("/down", Reply(503))
    recorder = Recorder()
    with pytest.raises(ServiceUnavailable):
        make_client(server, observers=[recorder], retries=1).get("/down")
    assert recorder.events[-1] == ("call-end", "api", 503) and recorder.balanced()
    recorder.events.clear()
    with pytest.raises(ConnectError):  # nothing listens there
        make_client(server, observers=[recorder], base_url="http://127.0.0.1:9/", retries=0).get(
            "/"
        )
    assert recorder.events[-2:] == [
        ("attempt-end", "api", "ConnectError"),
        ("call-end", "api", "ConnectError"),
    ]


def test_a_redirect_is_an_attempt_of_its_own(make_client: MakeClient, server: FakeServer) -> None:
    server.add("/old", Reply(301, headers={"Location": "/new"}))
    server.add("/new", Reply(json="moved"))
    recorder = Recorder()
    assert make_client(server, observers=[recorder]).get("/old") == "moved"
    assert [e for e in recorder.events if e[0] == "attempt"] == [
        ("attempt", "api", "old"),
        ("attempt", "api", "new"),
    ]


class Refreshing(AuthBase):
    """A token auth that refreshes after a 401 (no token endpoint: a counter)."""

    def __init__(self) -> None:
        self.token = "t1"

    def apply(self, request: Request) -> Request:
        return self.with_header(request, "Authorization", f"Bearer {self.token}")

    def on_unauthorized(self, request: Request, response: Response) -> Generator[Effect, Any, bool]:
        self.token = "t2"
        return True
        yield  # pragma: no cover


def test_a_401_refresh_resends_as_a_new_attempt(
    make_client: MakeClient, server: FakeServer
) -> None:
    server.add(
        "/me",
        lambda r: Reply(json="me") if r.headers["Authorization"] == "Bearer t2" else Reply(401),
    )
    recorder = Recorder()
    assert make_client(server, observers=[recorder], auth=Refreshing()).get("/me") == "me"
    assert [e[2] for e in recorder.events if e[0] == "attempt-end"] == [401, 200]
    assert recorder.balanced()


def test_token_requests_are_observed_as_calls_nested_in_the_attempt(
    make_client: MakeClient, server: FakeServer
) -> None:
    server.add("POST /token", Reply(json={"access_token": "tok-123456", "token_type": "Bearer"}))
    server.add("/api", Reply(json="ok"))
    seen_by_hook: list[str] = []
    recorder = Recorder()
    auth = OAuth2ClientCredentials(server.url + "token", "id", "s3cret-xyz", allow_http=True)
    api = make_client(
        server, auth=auth, observers=[recorder], on_request=lambda r: seen_by_hook.append(r.url)
    )
    assert api.get("/api") == "ok"
    assert recorder.events == [
        ("call", "api", "api"),
        ("attempt", "api", "api"),
        ("call", "token", "token"),
        ("attempt", "token", "token"),
        ("attempt-end", "token", 200),
        ("call-end", "token", 200),
        ("attempt-end", "api", 200),
        ("call-end", "api", 200),
    ]
    assert seen_by_hook == [server.url + "api"]  # the hooks see the client's own requests only


def test_limiter_and_server_pauses_are_waits(make_client: MakeClient, server: FakeServer) -> None:
    from apiclient import RateLimiter

    from .test_ratelimit import Clock

    clock = Clock()
    limiter = RateLimiter(1, 10, margin=0, clock=clock, sleep=clock.sleep)
    server.add("/x", Reply(json="ok"))
    recorder = Recorder()
    api = make_client(server, observers=[recorder], rate_limit_lock=limiter, clock=clock,
                      timeout=Timeouts(total=None))  # fmt: skip
    api.get("/x")
    api.get("/x")
    waits = [e[1:] for e in recorder.events if e[0] == "waited"]
    assert waits == [("limiter", 0.0), ("limiter", 10.0)]


def test_an_observer_that_raises_stops_the_call_and_every_start_still_ends(
    server: FakeServer,
) -> None:
    class Refusing(ObserverBase):
        def attempt_started(self, request: Request) -> None:
            raise PermissionError("not this one")

    first, last = Recorder(), Recorder()
    server.add("/x", Reply(json="ok"))
    api = Acme(base_url=server.url, observers=[first, Refusing(), last])
    with pytest.raises(PermissionError):
        api.get("/x")
    assert server.requests == []
    assert first.balanced() and last.balanced()
    assert first.events[-2:] == [
        ("attempt-end", "api", "PermissionError"),
        ("call-end", "api", "PermissionError"),
    ]
    assert last.events == [("call", "api", "x"), ("call-end", "api", "PermissionError")]


def test_a_cancelled_task_ends_its_attempt_with_the_cancellation(server: FakeServer) -> None:
    recorder = Recorder()

    async def scenario() -> None:
        loop, arrived = asyncio.get_running_loop(), asyncio.Event()

        def hang(request: Any) -> Reply:
            loop.call_soon_threadsafe(arrived.set)
            return Reply(hang=True)

        server.add("/hang", hang)
        async with AsyncAPIClient(base_url=server.url, observers=[recorder]) as api:
            task = asyncio.create_task(api.get("/hang"))
            await asyncio.wait_for(arrived.wait(), 30)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    asyncio.run(scenario())
    assert recorder.events[-2:] == [
        ("attempt-end", "api", "CancelledError"),
        ("call-end", "api", "CancelledError"),
    ]


def test_a_client_library_logs_under_its_own_name(
    server: FakeServer, caplog: pytest.LogCaptureFixture, sleeps: Any
) -> None:
    class Acme2(Acme):
        LOGGER = "acme"

    server.add("/x", [Reply(503), Reply(json="ok")])
    with caplog.at_level(logging.DEBUG, logger="acme"):
        Acme2(base_url=server.url, sleep=sleeps).get("/x", params={"token": "s3cr3t-1234"})
    names = {record.name for record in caplog.records}
    assert names == {"acme"}
    messages = [r.getMessage() for r in caplog.records]
    assert [r.levelname for r in caplog.records] == ["DEBUG", "INFO", "DEBUG"]
    assert "retry 1 of 3" in messages[1] and "(attempt 2)" in messages[2]
    assert all("s3cr3t" not in message for message in messages)


# -- the contract, by hand: random outcomes through the loop, no I/O ----------------------


OUTCOMES = st.lists(
    st.sampled_from(["200", "503", "302", "401", "429", "connect", "timeout"]), max_size=8
)


def drive(outcomes: list[str], abort: str | None) -> Recorder:
    """Run ``exchange`` on ``outcomes`` (one per Send), then end or abort it."""
    recorder = Recorder()
    settings = CallSettings(
        retry=RetryPolicy(max_retries=4, backoff_factor=0.0),
        redirect=RedirectPolicy(3),
        timeout=Timeouts(total=None),
        max_body_bytes=1 << 20,
        clock=lambda: 0.0,
        observers=(recorder,),
    )
    flow = exchange(Request("GET", "http://api.example/x"), settings)
    effect: Any = next(flow)
    answers = iter(outcomes)
    try:
        while True:
            if type(effect) is Sleep:
                effect = flow.send(None)
                continue
            assert type(effect) is Send
            outcome = next(answers, None)
            if outcome is None:
                if abort == "close":
                    flow.close()
                elif abort == "cancel":
                    with pytest.raises(asyncio.CancelledError):
                        flow.throw(asyncio.CancelledError())
                else:
                    flow.send(Response(200))
                break
            if outcome == "connect":
                effect = flow.throw(ConnectError("refused"))
            elif outcome == "timeout":
                effect = flow.throw(ReadTimeout("slow"))
            else:
                headers = {"Location": "http://api.example/y"} if outcome == "302" else {}
                effect = flow.send(Response(int(outcome), headers))
    except StopIteration:
        pass
    except APIError:  # an error worth no retry (or no retry left) ends the call
        pass
    return recorder


@settings(max_examples=200, deadline=None)
@given(OUTCOMES, st.sampled_from([None, "close", "cancel"]))
def test_every_attempt_started_ends_exactly_once(outcomes: list[str], abort: str | None) -> None:
    recorder = drive(outcomes, abort)
    assert recorder.balanced(), recorder.events
    kinds = [event[0] for event in recorder.events]
    assert kinds.count("call") == kinds.count("call-end") == 1
    assert kinds.count("attempt") == kinds.count("attempt-end") >= 1
