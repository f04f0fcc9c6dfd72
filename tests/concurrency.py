"""Helpers for tests that run callers on real threads and check what they saw."""

from __future__ import annotations

import threading
from collections.abc import Callable


def gather_from_threads(call: Callable[[int], float], threads: int, per_thread: int) -> list[float]:
    """Run ``call(thread_index)`` ``per_thread`` times on each of ``threads`` threads.

    Returns every value returned (e.g. a grant time), sorted.
    """
    values: list[float] = []
    lock = threading.Lock()

    def worker(index: int) -> None:
        for _ in range(per_thread):
            value = call(index)
            with lock:
                values.append(value)

    workers = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    return sorted(values)


def worst_window(times: list[float], window: float) -> int:
    """The most values found in any half-open interval [t, t + window) starting at a value."""
    times = sorted(times)
    return max(sum(1 for t in times[i:] if t < start + window) for i, start in enumerate(times))


class SimulatedTime:
    """One fake clock for several threads (and for a fake server's wall clock).

    ``sleep`` blocks its thread until the simulated time reaches the end of the sleep, and
    time jumps forward only when every taking-part thread is asleep (or done): a thread
    doing real I/O holds time still. Threads take part inside ``with time.taking_part():``.
    Calling the object reads the time: it serves as a monotonic and a wall clock at once.
    """

    def __init__(self, start: float = 1_800_000_000.25) -> None:
        self.now = start
        self._condition = threading.Condition()
        self._taking_part = 0
        self._sleepers: list[list[float | bool]] = []  # [wake time, woken]
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def taking_part(self) -> _TakingPart:
        return _TakingPart(self)

    def sleep(self, seconds: float) -> None:
        with self._condition:
            self.slept.append(seconds)
            sleeper: list[float | bool] = [self.now + max(0.0, seconds), False]
            self._sleepers.append(sleeper)
            self._advance()
            while not sleeper[1]:
                self._condition.wait()

    def _join(self, change: int) -> None:
        with self._condition:
            self._taking_part += change
            self._advance()

    def _advance(self) -> None:
        """If every thread taking part sleeps, jump to the earliest wake-up and wake it."""
        if not self._sleepers or len(self._sleepers) < self._taking_part:
            return
        self.now = max(self.now, min(float(s[0]) for s in self._sleepers))
        for sleeper in [s for s in self._sleepers if float(s[0]) <= self.now]:
            sleeper[1] = True
            self._sleepers.remove(sleeper)
        self._condition.notify_all()


class _TakingPart:
    def __init__(self, time: SimulatedTime) -> None:
        self._time = time

    def __enter__(self) -> None:
        self._time._join(+1)

    def __exit__(self, *exc_info: object) -> None:
        self._time._join(-1)


def run_threads(work: Callable[[int], None], threads: int, time: SimulatedTime) -> None:
    """Run ``work(index)`` on ``threads`` threads taking part in ``time``; re-raise a failure."""
    errors: list[BaseException] = []
    started = threading.Barrier(threads + 1)

    def worker(index: int) -> None:
        with time.taking_part():
            started.wait()  # every thread takes part before any sleeps
            try:
                work(index)
            except BaseException as exc:
                errors.append(exc)

    workers = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for thread in workers:
        thread.start()
    started.wait()
    for thread in workers:
        thread.join()
    if errors:
        raise errors[0]
