"""Concurrency limits: at most N requests on the wire at once, shared by threads and tasks.

``InFlightLimiter(4)`` hands out four slots; a caller waits, in arrival order, for one to
come free, up to its time budget (``InFlightLimitReached`` then). A slot is released by
``Slot.release()``, which the request loop calls on every exit path: the response's body
read (or, for a stream, closed or read to the end), an error, a cancellation. One limiter
serves threads and any number of event loops at once: a thread waits on an event, a task
on a future of its own loop, woken thread-safely by whoever releases.

A limiter that lives elsewhere (``RedisConcurrencyLimiter``) offers the same two methods.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator
from typing import Any, Protocol, runtime_checkable

from apiclient.errors import InFlightLimitReached
from apiclient.models import AsyncBodyStream, BodyStream, Response


class Slot:
    """One request's place under a concurrency limit; ``release()`` it once (more is a no-op)."""

    __slots__ = ("_release",)

    def __init__(self, release: Callable[[], None]) -> None:
        self._release: Callable[[], None] | None = release

    def release(self) -> None:
        """Give the slot back (to the longest waiter, if any)."""
        release, self._release = self._release, None
        if release is not None:
            release()

    @property
    def released(self) -> bool:
        """Whether the slot was given back."""
        return self._release is None

    def __repr__(self) -> str:
        return f"<Slot {'released' if self.released else 'held'}>"


@runtime_checkable
class ConcurrencyLimiter(Protocol):
    """What the request loop needs of a concurrency limit."""

    def enter(self, timeout: float | None = None) -> Slot:
        """Wait (up to ``timeout`` seconds) for a slot; raise ``InFlightLimitReached``."""
        ...

    async def enter_async(self, timeout: float | None = None) -> Slot:
        """``enter`` for asyncio."""
        ...


class _Waiter:
    """A caller waiting for a slot: a thread (an event) or a task (a future of its loop)."""

    __slots__ = ("event", "future", "granted", "loop")

    def __init__(self, loop: Any = None) -> None:
        self.granted = False
        self.loop = loop
        self.event = threading.Event() if loop is None else None
        self.future = loop.create_future() if loop is not None else None

    def wake(self) -> bool:
        """Hand the slot over; False if the waiter can no longer take it (its loop closed)."""
        if self.event is not None:
            self.event.set()
            return True
        try:
            self.loop.call_soon_threadsafe(_resolve, self.future)
        except RuntimeError:  # the event loop is closed: nobody there to take it
            return False
        return True


def _resolve(future: Any) -> None:
    if not future.done():
        future.set_result(None)


class InFlightLimiter:
    """At most ``max_in_flight`` slots held at once, in arrival order, by threads and tasks."""

    def __init__(self, max_in_flight: int) -> None:
        if max_in_flight < 1:
            raise ValueError("max_in_flight must be >= 1")
        self.max_in_flight = max_in_flight
        self._free = max_in_flight
        self._waiters: deque[_Waiter] = deque()
        # Re-entrant: a stream dropped unread releases its slot when collected, which may
        # happen in this thread while it holds the lock.
        self._lock = threading.RLock()

    @property
    def in_flight(self) -> int:
        """Slots held now."""
        return self.max_in_flight - self._free

    def enter(self, timeout: float | None = None) -> Slot:
        """Take a slot, waiting up to ``timeout`` seconds for one (None: as long as it takes)."""
        with self._lock:
            if self._free and not self._waiters:
                self._free -= 1
                return Slot(self._leave)
            self._refuse_if_no_wait(timeout)
            waiter = _Waiter()
            self._waiters.append(waiter)
        assert waiter.event is not None
        if not waiter.event.wait(timeout) and not self._withdraw(waiter):
            raise self._refused(timeout)
        return Slot(self._leave)

    async def enter_async(self, timeout: float | None = None) -> Slot:
        """``enter`` for asyncio: the task waits on a future; a cancelled task takes nothing."""
        import asyncio

        with self._lock:
            if self._free and not self._waiters:
                self._free -= 1
                return Slot(self._leave)
            self._refuse_if_no_wait(timeout)
            waiter = _Waiter(asyncio.get_running_loop())
            self._waiters.append(waiter)
        try:
            async with asyncio.timeout(timeout):
                await waiter.future  # type: ignore[misc]  # (a loop's future: awaitable)
        except TimeoutError:
            if not self._withdraw(waiter):
                raise self._refused(timeout) from None
        except BaseException:  # cancelled: a slot handed over meanwhile goes to the next
            if self._withdraw(waiter):
                self._leave()
            raise
        return Slot(self._leave)

    def _withdraw(self, waiter: _Waiter) -> bool:
        """Stop waiting; True if the slot was handed over meanwhile (it is then the caller's)."""
        with self._lock:
            if waiter.granted:
                return True
            self._waiters.remove(waiter)
            return False

    def _leave(self) -> None:
        with self._lock:
            while self._waiters:
                waiter = self._waiters.popleft()
                waiter.granted = True
                if waiter.wake():
                    return
            self._free += 1

    def _refuse_if_no_wait(self, timeout: float | None) -> None:
        if timeout is not None and timeout <= 0:
            raise self._refused(0.0)

    def _refused(self, timeout: float | None) -> InFlightLimitReached:
        return InFlightLimitReached(
            f"no request slot came free within {timeout or 0:g}s "
            f"(max_in_flight={self.max_in_flight})"
        )

    def __repr__(self) -> str:
        return f"InFlightLimiter({self.in_flight}/{self.max_in_flight} in flight)"


def in_flight_limiter(value: int | ConcurrencyLimiter | None) -> ConcurrencyLimiter | None:
    """``max_in_flight=`` as a limiter: a number makes an ``InFlightLimiter``."""
    if value is None or isinstance(value, ConcurrencyLimiter):
        return value
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"max_in_flight must be an int or a concurrency limiter, not {value!r}")
    return InFlightLimiter(value)


def release_when_read(response: Response, slots: list[Slot]) -> None:
    """Give ``slots`` back now, or, for a streamed body, once it is read or closed."""
    stream = response.stream
    if stream is None:
        for slot in slots:
            slot.release()
        return

    def release() -> None:
        for slot in slots:
            slot.release()

    def close() -> None:
        try:
            stream.close()
        finally:
            release()

    if isinstance(stream, AsyncBodyStream):
        response.stream = AsyncBodyStream(_releasing_async(stream, release), close)
    else:
        response.stream = BodyStream(_releasing(stream, release), close)


def _releasing(chunks: Iterable[bytes], release: Callable[[], None]) -> Iterator[bytes]:
    try:
        yield from chunks
    finally:
        release()


async def _releasing_async(
    chunks: AsyncIterable[bytes], release: Callable[[], None]
) -> AsyncIterator[bytes]:
    try:
        async for chunk in chunks:
            yield chunk
    finally:
        release()
