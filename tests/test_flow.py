"""The request loop, driven by hand: no sockets, no clock, no sleeping."""

from __future__ import annotations

from typing import Any

import pytest

from apiclient import (
    AdaptiveThrottle,
    BearerToken,
    ConnectError,
    RateLimiter,
    ReadTimeout,
    Request,
    Response,
    RetryPolicy,
    Timeout,
    Timeouts,
    TooManyRedirects,
)
from apiclient.effects import Pause
from apiclient.flow import Acquire, CallSettings, Send, Sleep, exchange
from apiclient.policies.redirects import RedirectPolicy
from apiclient.ratelimit.adaptive import Turn


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def settings(clock: FakeClock | None = None, **overrides: Any) -> CallSettings:
    values: dict[str, Any] = {
        "retry": RetryPolicy(jitter=lambda: 1.0),
        "redirect": RedirectPolicy(),
        "timeout": Timeouts(connect=1, read=5, total=60),
        "max_body_bytes": 1000,
        "clock": clock or FakeClock(),
    }
    values.update(overrides)
    return CallSettings(**values)


def test_a_plain_call_sends_once_and_returns_the_response() -> None:
    flow = exchange(Request("GET", "https://h/x"), settings())
    effect = next(flow)
    assert isinstance(effect, Send) and effect.request.url == "https://h/x"
    with pytest.raises(StopIteration) as done:
        flow.send(Response(200))
    assert done.value.value.status == 200


def test_retry_sleeps_the_backoff_then_resends() -> None:
    flow = exchange(Request("GET", "https://h/x"), settings())
    next(flow)
    assert flow.send(Response(503)) == Sleep(0.5)
    assert isinstance(flow.send(None), Send)
    assert flow.send(Response(503)) == Sleep(1.0)
    assert isinstance(flow.send(None), Send)
    with pytest.raises(StopIteration) as done:
        flow.send(Response(200))
    assert done.value.value.attempts == 3


def test_retries_exhausted_returns_the_last_response() -> None:
    flow = exchange(Request("GET", "https://h/x"), settings(retry=RetryPolicy(max_retries=1)))
    next(flow)
    assert isinstance(flow.send(Response(503)), Sleep)
    flow.send(None)
    with pytest.raises(StopIteration) as done:
        flow.send(Response(503))
    assert done.value.value.status == 503


@pytest.mark.parametrize(
    "retry",
    [
        RetryPolicy(retry_if=lambda _, response: response.data == b"busy", jitter=lambda: 1.0),
        RetryPolicy(statuses=frozenset({202}), jitter=lambda: 1.0),
    ],
    ids=["retry_if", "statuses"],
)
def test_a_success_is_retried_when_the_policy_asks_for_it(retry: RetryPolicy) -> None:
    # The loop decides plain successes without asking the policies; these are not plain.
    flow = exchange(Request("GET", "https://h/x"), settings(retry=retry))
    next(flow)
    assert flow.send(Response(202, data=b"busy")) == Sleep(0.5)
    assert isinstance(flow.send(None), Send)
    with pytest.raises(StopIteration) as done:
        flow.send(Response(200))
    assert done.value.value.attempts == 2


def test_transport_errors_are_retried_then_raised_with_attempts() -> None:
    flow = exchange(
        Request("GET", "https://h/x"),
        settings(retry=RetryPolicy(max_retries=1, jitter=lambda: 1.0)),
    )
    next(flow)
    assert flow.throw(ConnectError("refused")) == Sleep(0.5)
    flow.send(None)
    with pytest.raises(ConnectError) as caught:
        flow.throw(ConnectError("refused"))
    assert caught.value.attempts == 2
    assert caught.value.request is not None and caught.value.request.url == "https://h/x"


def test_post_read_timeout_is_not_retried() -> None:
    flow = exchange(Request("POST", "https://h/x", body=b"{}"), settings())
    next(flow)
    with pytest.raises(ReadTimeout):
        flow.throw(ReadTimeout("slow"))


def test_a_wait_past_the_deadline_is_not_started() -> None:
    clock = FakeClock()
    flow = exchange(Request("GET", "https://h/x"), settings(clock, timeout=Timeouts(total=10)))
    next(flow)
    clock.now += 9.8  # the attempt took almost the whole budget; backoff of 0.5 s won't fit
    with pytest.raises(StopIteration) as done:
        flow.send(Response(503))
    assert done.value.value.status == 503


def test_each_attempt_gets_only_the_remaining_budget() -> None:
    clock = FakeClock()
    flow = exchange(
        Request("GET", "https://h/x"), settings(clock, timeout=Timeouts(connect=5, read=5, total=6))
    )
    first = next(flow)
    assert isinstance(first, Send) and first.timeout.read == 5
    clock.now += 4
    flow.send(Response(503))  # Sleep(0.5)
    clock.now += 0.5
    second = flow.send(None)
    assert isinstance(second, Send) and second.timeout.read == pytest.approx(1.5)


def test_the_first_attempt_gets_the_time_limits_as_configured() -> None:
    limits = Timeouts(connect=5, read=5, total=6)
    first = next(exchange(Request("GET", "https://h/x"), settings(timeout=limits)))
    assert isinstance(first, Send) and first.timeout is limits  # one object transports cache


def test_an_attempt_after_a_server_pause_gets_only_what_is_left() -> None:
    clock = FakeClock()
    throttle = PausedFor(2.0)
    flow = exchange(
        Request("GET", "https://h/x"),
        settings(clock, timeout=Timeouts(connect=5, read=5, total=6), throttle=throttle),
    )
    assert next(flow) == Sleep(2.0)
    clock.now += 2.0
    throttle.seconds = 0.0
    send = flow.send(None)
    assert isinstance(send, Send) and send.timeout.total == pytest.approx(4.0)


class PausedFor:
    """A throttle that asks for ``seconds`` of pause until told otherwise."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def turn(self, ceiling: float, deadline: float | None = None) -> Turn:
        return Turn(self.seconds, self.seconds <= 0, "server")

    def observe(self, response: Response, ceiling: float = 0.0) -> Pause | None:
        return None

    def unanswered(self) -> None:
        pass


def test_a_wait_the_server_asks_for_pauses_the_shared_limiter_as_an_effect() -> None:
    clock = FakeClock()
    limiter = RateLimiter(100, 1, clock=clock)
    throttle = AdaptiveThrottle(clock, limiter=limiter)
    flow = exchange(
        Request("GET", "https://h/x"),
        settings(clock, throttle=throttle, retry=RetryPolicy(max_retries=0)),
    )
    next(flow)
    # The driver performs the pause (for a Redis-shared limiter, I/O that must be awaited).
    assert flow.send(Response(429, {"Retry-After": "2"})) == Pause(limiter, 2.0)
    with pytest.raises(StopIteration) as done:
        flow.send(None)
    assert done.value.value.status == 429 and throttle.wait() == 2.0


def test_deadline_passed_before_an_attempt_raises_timeout() -> None:
    clock = FakeClock()
    flow = exchange(Request("GET", "https://h/x"), settings(clock, timeout=Timeouts(total=1)))
    next(flow)
    flow_sleep = flow.throw(ConnectError("refused"))
    assert flow_sleep == Sleep(0.5)
    clock.now += 5  # the sleep overran
    with pytest.raises(Timeout):
        flow.send(None)


def test_limiter_is_acquired_before_every_attempt() -> None:
    class Lock:
        def acquire(self) -> None: ...

    lock = Lock()
    flow = exchange(Request("GET", "https://h/x"), settings(limiter=lock))
    assert next(flow) == Acquire(lock, 60.0)
    assert isinstance(flow.send(None), Send)
    flow.send(Response(503))
    assert flow.send(None) == Acquire(lock, 60.0)


def test_auth_is_applied_on_the_origin_only() -> None:
    flow = exchange(Request("GET", "https://h/x"), settings(auth=BearerToken("tok")))
    sent = next(flow)
    assert isinstance(sent, Send) and sent.request.headers["Authorization"] == "Bearer tok"
    hop = flow.send(Response(302, {"Location": "https://other.example/y"}))
    assert isinstance(hop, Send) and "Authorization" not in hop.request.headers
    back = flow.send(Response(302, {"Location": "https://h/z"}))
    # Once the chain has left the origin, credentials are not re-created for it.
    assert isinstance(back, Send) and "Authorization" not in back.request.headers


def test_redirect_loop_stops_at_the_limit() -> None:
    flow = exchange(
        Request("GET", "https://h/x"), settings(redirect=RedirectPolicy(max_redirects=3))
    )
    next(flow)
    for _ in range(3):
        assert isinstance(flow.send(Response(302, {"Location": "/x"})), Send)
    with pytest.raises(TooManyRedirects) as caught:
        flow.send(Response(302, {"Location": "/x"}))
    assert caught.value.request is not None
