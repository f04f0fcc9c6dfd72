"""Adaptive throttling against the loopback server, one test per header style."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from apiclient import RateExceededError, RateLimiter, Timeouts, TooManyRequests
from apiclient.testing import FakeServer, Reply

from .conftest import Acme, Sleeps

MakeClient = Callable[..., Acme]


def test_a_429_pauses_the_other_callers_of_the_client(
    server: FakeServer, make_client: MakeClient, sleeps: Sleeps
) -> None:
    server.add("/a", Reply(429, headers={"Retry-After": "30"}))
    server.add("/b", Reply(json="b"))
    api = make_client(server, retries=0)
    with pytest.raises(TooManyRequests):
        api.get("/a")
    assert api.get("/b") == "b"  # this caller waited out the server's 30 s before sending
    assert sleeps == [30.0]


def test_github_remaining_zero_pauses_until_reset(
    server: FakeServer, make_client: MakeClient, sleeps: Sleeps
) -> None:
    date = "Wed, 21 Oct 2015 07:28:00 GMT"
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1445412490", "Date": date}
    server.add("/last", Reply(json="last allowed", headers=headers))
    server.add("/next", Reply(json="next"))
    api = make_client(server)
    assert api.get("/last") == "last allowed"
    assert api.get("/next") == "next"
    assert sleeps == [10.0]


def test_github_secondary_limit_403_is_waited_out_and_retried(
    server: FakeServer, make_client: MakeClient, sleeps: Sleeps
) -> None:
    server.add("/search", [Reply(403, headers={"Retry-After": "7"}), Reply(json="found")])
    assert make_client(server).get("/search") == "found"
    assert sleeps == [7.0]


def test_ietf_ratelimit_header_pauses(
    server: FakeServer, make_client: MakeClient, sleeps: Sleeps
) -> None:
    server.add(
        "/x",
        Reply(
            json=1,
            headers={"RateLimit": '"default";r=0;t=4', "RateLimit-Policy": '"default";q=5;w=60'},
        ),
    )
    api = make_client(server)
    api.get("/x")
    api.get("/x")  # waits out the pause the first response asked for
    assert sleeps == [4.0]


def test_a_pause_beyond_the_ceiling_raises_at_once_without_sending(
    server: FakeServer, make_client: MakeClient, sleeps: Sleeps
) -> None:
    server.add("/quota", Reply(429, headers={"Retry-After": "3600"}))
    api = make_client(server)
    with pytest.raises(TooManyRequests):
        api.get("/quota")
    with pytest.raises(RateExceededError) as caught:
        api.get("/quota")
    assert caught.value.retry_after == pytest.approx(3600.0)
    assert len(server.requests) == 1 and sleeps == []


def test_the_pause_reaches_the_shared_limiter(
    server: FakeServer, make_client: MakeClient, sleeps: Sleeps
) -> None:
    limiter = RateLimiter(100, 1, clock=sleeps.clock, sleep=sleeps)
    server.add("/a", Reply(429, headers={"Retry-After": "20"}))
    make_client(server, rate_limit_lock=limiter, retries=0).get("/a", raw=True)
    # Another client sharing the limiter (no response of its own seen yet) waits too.
    other = make_client(server, rate_limit_lock=limiter)
    server.add("/b", Reply(json="b"))
    assert other.get("/b") == "b"
    assert sleeps == [20.0]


def test_adaptive_throttle_can_be_turned_off(
    server: FakeServer, make_client: MakeClient, sleeps: Sleeps
) -> None:
    server.add("/a", Reply(429, headers={"Retry-After": "30"}))
    server.add("/b", Reply(json="b"))
    api = make_client(server, retries=0, adaptive_throttle=False)
    with pytest.raises(TooManyRequests):
        api.get("/a")
    assert api.get("/b") == "b" and sleeps == [] and api.throttle is None


def test_the_limiter_wait_counts_against_the_deadline(
    server: FakeServer, make_client: MakeClient, sleeps: Sleeps
) -> None:
    limiter = RateLimiter(1, 60, clock=sleeps.clock, sleep=sleeps)
    server.add("/x", Reply(json=1))
    api = make_client(server, rate_limit_lock=limiter, timeout=Timeouts(total=30))
    api.get("/x")
    with pytest.raises(RateExceededError):
        api.get("/x")  # the next grant is 60 s away, past the call's 30 s budget
    assert sleeps == []


def test_a_pause_arriving_while_a_call_waits_for_its_grant_ends_within_its_deadline(
    server: FakeServer, make_client: MakeClient, sleeps: Sleeps
) -> None:
    """The limiter re-checks the call's budget when a pause moves its grant: no 5 s block."""
    server.add("/x", Reply(json="ok"))

    def sleep(seconds: float) -> None:
        limiter.pause(5)  # another client sharing the limiter heard "wait 5 s"
        sleeps(seconds)

    limiter = RateLimiter(1, 1, margin=0, clock=sleeps.clock, sleep=sleep)
    api = make_client(server, rate_limit_lock=limiter, timeout=Timeouts(5, 5, total=2))
    assert api.get("/x") == "ok"
    with pytest.raises(RateExceededError) as refused:
        api.get("/x")
    assert sum(sleeps) <= 2.0 and refused.value.retry_after is not None
    assert len(server.requests) == 1  # nothing was sent, no grant was wasted
