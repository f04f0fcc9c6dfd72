"""The in-process RateLimiter, with an injected clock: exact, and never slower than allowed."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apiclient import Limit, RateExceededError, RateLimiter

from .concurrency import gather_from_threads, worst_window


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_grants_up_to_the_limit_then_says_how_long_to_wait() -> None:
    clock = Clock()
    limiter = RateLimiter(3, 10, margin=0, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        assert limiter.acquire(block=False)
    with pytest.raises(RateExceededError) as caught:
        limiter.acquire(block=False)
    assert caught.value.retry_after == 10.0


def test_blocking_acquire_waits_exactly_until_the_window_frees() -> None:
    clock = Clock()
    limiter = RateLimiter(2, 10, margin=0, clock=clock, sleep=clock.sleep)
    limiter.acquire()
    clock.now = 4.0
    limiter.acquire()
    limiter.acquire()  # waits for the grant at t=0 to leave the window
    assert clock.now == 10.0
    limiter.acquire()
    assert clock.now == 14.0


def test_timeout_raises_at_once_without_sleeping() -> None:
    clock = Clock()
    limiter = RateLimiter(1, 60, margin=0, clock=clock, sleep=clock.sleep)
    limiter.acquire()
    with pytest.raises(RateExceededError) as caught:
        limiter.acquire(timeout=5)
    assert clock.now == 0.0 and caught.value.retry_after == 60.0


def test_no_fixed_window_burst_across_an_edge() -> None:
    # The seed's fixed window allowed 2N grants around a window edge; a sliding window cannot.
    clock = Clock()
    limiter = RateLimiter(10, 1, margin=0, clock=clock, sleep=clock.sleep)
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
    limiter = RateLimiter(limit, period, margin=0, clock=clock, sleep=clock.sleep)
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


def test_several_limits_are_granted_all_or_nothing() -> None:
    clock = Clock()
    limiter = RateLimiter(
        2, 1, also=[Limit(3, 10, margin=0)], margin=0, clock=clock, sleep=clock.sleep
    )
    times = []
    for _ in range(5):
        limiter.acquire()
        times.append(clock.now)
    # 2 per second, but only 3 per 10 s: the 4th waits for the hourly-style window.
    assert times == [0.0, 0.0, 1.0, 10.0, 10.0]


def test_a_refused_acquire_consumes_nothing() -> None:
    clock = Clock()
    limiter = RateLimiter(
        1, 10, also=[Limit(5, 100, margin=0)], margin=0, clock=clock, sleep=clock.sleep
    )
    limiter.acquire()
    for _ in range(50):
        with pytest.raises(RateExceededError):
            limiter.acquire(timeout=1)
    clock.now = 10.0
    limiter.acquire(block=False)  # the refused attempts booked no slot in either window


def test_waiters_are_served_in_arrival_order() -> None:
    # Reservations are made on arrival, so a later caller can never overtake an earlier one.
    clock = Clock()
    limiter = RateLimiter(1, 1, margin=0, clock=clock, sleep=lambda s: None)
    waits = [limiter._book(None)[0] for _ in range(5)]
    assert waits == [0.0, 1.0, 2.0, 3.0, 4.0]


def test_pause_holds_every_grant() -> None:
    clock = Clock()
    limiter = RateLimiter(100, 1, margin=0, clock=clock, sleep=clock.sleep)
    limiter.pause(30)
    limiter.acquire()
    assert clock.now == 30.0


def test_async_acquire_waits_with_asyncio_and_binds_no_loop() -> None:
    limiter = RateLimiter(2, 0.05)

    async def take(n: int) -> int:
        for _ in range(n):
            await limiter.acquire_async()
        return n

    # Two separate event loops use the same limiter: nothing is bound to the first one.
    assert asyncio.run(take(2)) == 2
    assert asyncio.run(take(2)) == 2
    with pytest.raises(RateExceededError):
        asyncio.run(limiter.acquire_async(block=False))


def test_repr_shows_the_limits() -> None:
    assert repr(RateLimiter(10, 60, also=[Limit(5000, 3600)])) == "RateLimiter(10/60s, 5000/3600s)"


def test_default_margin_spaces_windows_slightly_apart() -> None:
    assert Limit(10, 1).spacing == pytest.approx(1.001)
    assert Limit(10, 0.05).spacing == pytest.approx(0.05025)  # T / 200 for short windows
    clock = Clock()
    limiter = RateLimiter(1, 10, clock=clock, sleep=clock.sleep)
    limiter.acquire()
    limiter.acquire()
    assert clock.now == pytest.approx(10.001)


def test_threads_are_never_granted_more_than_the_limit_in_any_window() -> None:
    # Real threads and clock; the grant times are the limiter's own record (acquire_at),
    # taken under its lock when it grants, so a thread that waits to run again after
    # acquire() returns cannot make a window look fuller than it was.
    limit, period = 5, 0.05
    limiter = RateLimiter(limit, period)

    granted = gather_from_threads(lambda _: limiter.acquire_at(), threads=8, per_thread=10)
    assert len(granted) == 80 and len(set(granted)) == 80
    assert worst_window(granted, period) == limit


def test_no_thread_starves_under_contention() -> None:
    limiter = RateLimiter(2, 0.02)
    grants: list[tuple[float, int]] = []

    def acquire(me: int) -> float:
        grants.append((limiter.acquire_at(), me))  # the limiter's grant time, not ours
        return 0.0

    gather_from_threads(acquire, threads=6, per_thread=6)
    order = [who for _, who in sorted(grants)]
    # Served in booking order: between two grants of one thread, every other thread that
    # was waiting gets at most one grant (plus one for the race to book first). An unfair
    # sleep-and-retry limiter fails this most of the time.
    for me in range(6):
        mine = [i for i, who in enumerate(order) if who == me]
        assert all(b - a <= 2 * 6 for a, b in itertools.pairwise(mine))


def test_acquire_at_returns_the_limiters_own_grant_time() -> None:
    clock = Clock()
    limiter = RateLimiter(1, 10, margin=0, clock=clock, sleep=clock.sleep)
    assert limiter.acquire_at() == 0.0
    assert limiter.acquire_at() == 10.0  # waited for the window on the injected clock
    with pytest.raises(RateExceededError):
        limiter.acquire_at(block=False)


def test_a_pause_arriving_while_a_caller_sleeps_never_outlives_its_timeout() -> None:
    """Fill a 1-per-1 s window; A accepts 2 s; a 5 s pause arrives while A sleeps."""
    clock = Clock()
    paused = []

    def sleep(seconds: float) -> None:
        if not paused:
            paused.append(True)
            limiter.pause(5)  # another user of the limiter heard "wait 5 s"
        clock.sleep(seconds)

    limiter = RateLimiter(1, 1, margin=0, clock=clock, sleep=sleep)
    limiter.acquire()
    with pytest.raises(RateExceededError) as refused:
        limiter.acquire(timeout=2)
    assert clock.now <= 2.0  # it gave up when the pause made its grant too late...
    assert refused.value.retry_after is not None and refused.value.retry_after > 2
    assert 1.0 not in limiter._bookings[0][0]  # ...and gave its booking back
    assert limiter.acquire_at() == 5.0  # the next caller is not queued behind it


def test_an_async_caller_is_bounded_by_its_timeout_through_a_pause() -> None:
    clock = Clock()

    def sleep(seconds: float) -> None:
        limiter.pause(10)
        clock.sleep(seconds)

    limiter = RateLimiter(1, 1, margin=0, clock=clock, sleep=sleep)
    limiter.acquire()
    with pytest.raises(RateExceededError):
        asyncio.run(limiter.acquire_async(timeout=3))
    assert clock.now < 3.0
