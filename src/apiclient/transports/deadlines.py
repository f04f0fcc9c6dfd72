"""The total time limit of every request in flight on an event loop, kept by one timer.

aiohttp's own ``total`` limit arms a timer per request: a handle is made, pushed on the
loop's heap (ordered by Python-level comparisons), cancelled and left there until the heap
is swept. With 100 calls in flight that is a tenth of a call's CPU (``bench/async_bench.py``).
Here a request only records its deadline in a dict, and one timer, set for the earliest
deadline, cancels the tasks whose deadline has passed. The transport turns that
cancellation into ``ReadTimeout``, as ``asyncio.timeout`` turns its own into
``TimeoutError``: a cancellation from anyone else still propagates.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from typing import Protocol


class Cancellable(Protocol):
    """What a deadline needs of a task (an ``asyncio.Task`` on Python 3.11+)."""

    def cancel(self, msg: str | None = None) -> bool:
        """Ask the task to stop at its next suspension point."""
        ...

    def cancelling(self) -> int:
        """How many cancellations of the task are pending."""
        ...

    def uncancel(self) -> int:
        """Take one pending cancellation back; return how many are left."""
        ...


current_task: Callable[[], Cancellable | None] = asyncio.current_task


class Deadlines:
    """The deadlines of the tasks sending on one event loop, and the one timer for them all.

    Used in that loop only; ``clock`` is monotonic seconds (injectable for tests).

    ``watch(task, seconds)`` before the request, ``release(task)`` after it (in a
    ``finally``), and on ``CancelledError`` ask ``passed(task, cancelling)`` whether it was
    the deadline's doing.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._due: dict[Cancellable, float] = {}
        self._expired: set[Cancellable] = set()  # cancelled by their deadline, not yet told
        self._timer: asyncio.TimerHandle | None = None
        self._timer_due = math.inf

    def watch(self, task: Cancellable, seconds: float) -> int:
        """Cancel ``task`` if it is still watched ``seconds`` from now.

        Returns ``task.cancelling()`` as it was, for ``passed``. In the common case (the
        deadline is later than one already timed) this is a dict insert, no timer.
        """
        due = self._clock() + seconds
        self._due[task] = due
        if due < self._timer_due:
            self._arm(due)
        return task.cancelling()

    def passed(self, task: Cancellable, cancelling: int) -> bool:
        """Whether ``task``'s cancellation came from its deadline alone (it is then taken back).

        False if the deadline did not pass, or if someone else cancelled the task too: that
        cancellation must go on (``cancelling`` is ``watch``'s return value).
        """
        if task not in self._expired:
            return False
        self._expired.discard(task)
        return task.uncancel() <= cancelling

    def release(self, task: Cancellable) -> None:
        """Stop watching ``task`` (a deadline that passed unnoticed takes its cancellation back)."""
        self._due.pop(task, None)
        if self._expired and task in self._expired:  # the request ended some other way
            self._expired.discard(task)
            task.uncancel()

    def close(self) -> None:
        """Disarm the timer (the transport is closing)."""
        if self._timer is not None:
            self._timer.cancel()
        self._timer, self._timer_due = None, math.inf

    def __len__(self) -> int:
        """How many tasks are watched."""
        return len(self._due)

    def _arm(self, due: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer_due = due
        delay = max(0.0, due - self._clock())
        self._timer = asyncio.get_running_loop().call_later(delay, self._expire)

    def _expire(self) -> None:
        """Cancel every task whose deadline has passed; time the next deadline."""
        self._timer, self._timer_due = None, math.inf
        now = self._clock()
        next_due = math.inf
        for task, due in list(self._due.items()):
            if due <= now:
                del self._due[task]
                self._expired.add(task)
                task.cancel("apiclient: the call's total time limit passed")
            elif due < next_due:
                next_due = due
        if next_due < math.inf:
            self._arm(next_due)
