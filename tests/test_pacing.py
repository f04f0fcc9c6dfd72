"""Pacing: the server's remaining quota spread over the time left, so no burst meets a 429."""

from __future__ import annotations

import threading

import pytest

from apiclient import AdaptiveThrottle, APIClient, Pacing, Quota, RateExceededError
from apiclient.ratelimit.pacing import Pacer
from apiclient.testing import FakeServer, RecordedRequest, Reply, rate_limited
from tests.concurrency import SimulatedTime, run_threads


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def slots(pacer: Pacer, now: float, count: int) -> list[tuple[float, bool]]:
    return [pacer.book(now, None) for _ in range(count)]


def test_the_rule_half_at_once_the_rest_spread_then_wait_for_the_reset() -> None:
    pacer = Pacer(Pacing())
    pacer.update(0.0, remaining=5, reset=10.0, limit=None, window=None)
    assert slots(pacer, 0.0, 6) == [
        (0.0, True),
        (0.0, True),
        (2.5, True),
        (5.0, True),
        (7.5, True),
        (10.0, False),  # nothing left before the reset: wait for it, then ask again
    ]


def test_burst_zero_spreads_every_request_evenly() -> None:
    pacer = Pacer(Pacing(burst=0.0))
    pacer.update(0.0, remaining=4, reset=10.0, limit=None, window=None)
    assert [wait for wait, _ in slots(pacer, 0.0, 4)] == [0.0, 2.5, 5.0, 7.5]


def test_after_the_reset_the_next_window_is_assumed_like_the_last() -> None:
    pacer = Pacer(Pacing())
    pacer.update(0.0, remaining=0, reset=10.0, limit=4, window=10.0)
    assert pacer.book(3.0, None) == (7.0, False)
    turns = slots(pacer, 10.0, 5)
    assert [wait for wait, _ in turns] == pytest.approx([0.0, 0.0, 10 / 3, 20 / 3, 10.0])
    assert [booked for _, booked in turns] == [True, True, True, True, False]


def test_requests_in_flight_count_against_what_the_server_says_is_left() -> None:
    pacer = Pacer(Pacing(burst=1.0))
    pacer.update(0.0, remaining=10, reset=60.0, limit=None, window=None)
    pacer.outstanding = 6  # six sent, not answered yet
    pacer.update(1.0, remaining=5, reset=59.0, limit=None, window=None)
    assert pacer.book(1.0, None)[1] is False  # 5 left at the server, 6 of ours on the way


def test_a_slot_beyond_the_callers_budget_is_not_booked() -> None:
    pacer = Pacer(Pacing(burst=0.0))
    pacer.update(0.0, remaining=2, reset=10.0, limit=None, window=None)
    assert pacer.book(0.0, 1.0) == (0.0, True)
    assert pacer.book(0.0, 1.0) == (5.0, False)  # refused, nothing taken...
    assert pacer.book(0.0, 9.0) == (5.0, True)  # ...so a patient caller still gets it


def test_the_throttle_paces_from_any_dialects_quota() -> None:
    clock = Clock()
    throttle = AdaptiveThrottle(clock, pacing=Pacing(burst=0.0))
    throttle.apply(Quota(remaining=2, reset=10.0))
    assert throttle.turn().wait == 0.0
    paced = throttle.turn()
    assert paced.booked and paced.wait == 5.0 and paced.why == "pacing"
    assert throttle.turn().booked is False


def test_pacing_can_be_turned_off() -> None:
    throttle = AdaptiveThrottle(Clock(), pacing=False)
    throttle.apply(Quota(remaining=1, reset=60.0))
    assert [throttle.turn().wait for _ in range(5)] == [0.0] * 5


def test_remaining_one_with_a_minute_left_slows_the_client(fake_server: FakeServer) -> None:
    """The bug report: ``X-RateLimit-Remaining: 1`` with 60 s left did not slow anyone."""
    time = SimulatedTime()
    route = rate_limited(Reply(json="ok"), limit=3, window=60, clock=time)
    fake_server.add("GET /x", route)
    with time.taking_part():
        api = APIClient(base_url=fake_server.url, clock=time, sleep=time.sleep, retries=0)
        assert [api.get("/x") for _ in range(5)] == ["ok"] * 5
    assert route.rejected == 0


def test_twenty_callers_with_five_left_in_ten_seconds_never_meet_a_429(
    fake_server: FakeServer,
) -> None:
    time = SimulatedTime()
    sent_at: list[float] = []
    lock = threading.Lock()
    quota = rate_limited(Reply(json="ok"), limit=6, window=10, clock=time)

    def route(request: RecordedRequest) -> Reply:
        with lock:
            sent_at.append(time.now)
        return quota(request)

    fake_server.add("GET /items", route)
    api = APIClient(base_url=fake_server.url, clock=time, sleep=time.sleep, retries=0)
    with time.taking_part():
        assert api.get("/items") == "ok"  # the server now says: remaining=5, reset in 10 s
    start = time.now
    run_threads(lambda _: api.get("/items"), threads=20, time=time)
    assert quota.rejected == 0  # nobody met the wall
    before_reset = [t for t in sent_at[1:] if t < start + 10]
    assert 1 <= len(before_reset) <= 5
    assert len(sent_at) == 21
    windows = [sum(1 for t in sent_at if w * 10 <= t - start < (w + 1) * 10) for w in range(9)]
    assert max(windows) <= 6, windows


def test_a_paced_slot_past_the_calls_deadline_raises_at_once(fake_server: FakeServer) -> None:
    time = SimulatedTime()
    headers = {"X-RateLimit-Remaining": "1", "X-RateLimit-Reset": "3000"}
    fake_server.add("GET /x", Reply(json="ok", headers=headers))
    api = APIClient(base_url=fake_server.url, clock=time, sleep=time.sleep, pacing=Pacing(0.0))
    with time.taking_part():
        api.get("/x")
        api.get("/x")  # the one request left goes at once...
        with pytest.raises(RateExceededError) as refused:
            api.get("/x")  # ...and the next slot is after the reset, beyond every budget
    assert refused.value.retry_after is not None and refused.value.retry_after > 60
    assert time.slept == []
