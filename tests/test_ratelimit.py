"""The in-process RateLimiter, with an injected clock: exact, and never slower than allowed."""

from __future__ import annotations

import contextlib
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apiclient import RateExceededError, RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_grants_up_to_the_limit_then_says_how_long_to_wait() -> None:
    clock = Clock()
    limiter = RateLimiter(3, 10, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        assert limiter.acquire(block=False)
    with pytest.raises(RateExceededError) as caught:
        limiter.acquire(block=False)
    assert caught.value.retry_after == 10.0


def test_blocking_acquire_waits_exactly_until_the_window_frees() -> None:
    clock = Clock()
    limiter = RateLimiter(2, 10, clock=clock, sleep=clock.sleep)
    limiter.acquire()
    clock.now = 4.0
    limiter.acquire()
    limiter.acquire()  # waits for the grant at t=0 to leave the window
    assert clock.now == 10.0
    limiter.acquire()
    assert clock.now == 14.0


def test_timeout_raises_at_once_without_sleeping() -> None:
    clock = Clock()
    limiter = RateLimiter(1, 60, clock=clock, sleep=clock.sleep)
    limiter.acquire()
    with pytest.raises(RateExceededError) as caught:
        limiter.acquire(timeout=5)
    assert clock.now == 0.0 and caught.value.retry_after == 60.0


def test_no_fixed_window_burst_across_an_edge() -> None:
    # The seed's fixed window allowed 2N grants around a window edge; a sliding window cannot.
    clock = Clock()
    limiter = RateLimiter(10, 1, clock=clock, sleep=clock.sleep)
    clock.now = 0.99
    grants = []
    for _ in range(20):
        limiter.acquire()
        grants.append(clock.now)
    assert max(sum(1 for g in grants if t <= g < t + 1) for t in grants) == 10


@given(
    limit=st.integers(1, 5),
    period=st.floats(0.5, 10),
    gaps=st.lists(st.floats(0, 3), min_size=1, max_size=40),
)
def test_no_window_ever_holds_more_than_the_limit_and_grants_are_earliest(
    limit: int, period: float, gaps: list[float]
) -> None:
    clock = Clock()
    limiter = RateLimiter(limit, period, clock=clock, sleep=clock.sleep)
    grants: list[float] = []
    for gap in gaps:
        clock.now += gap
        arrival = clock.now
        limiter.acquire()
        grants.append(clock.now)
        # Earliest: granted on arrival, or exactly when the limit-th previous grant expires.
        if clock.now > arrival:
            assert clock.now == pytest.approx(grants[-1 - limit] + period)
    for start in grants:
        assert sum(1 for g in grants if start <= g < start + period - 1e-9) <= limit


def test_threads_racing_for_grants_get_exactly_the_limit() -> None:
    limiter = RateLimiter(5, 3600)
    granted: list[bool] = []
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        for _ in range(10):
            with contextlib.suppress(RateExceededError):
                granted.append(limiter.acquire(block=False))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(granted) == 5


def test_bad_limits_are_refused() -> None:
    with pytest.raises(ValueError):
        RateLimiter(0, 1)
    with pytest.raises(ValueError):
        RateLimiter(1, 0)
