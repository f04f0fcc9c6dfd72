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
