"""Concurrency limits: at most N requests on the wire, released on every exit path."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable

import pytest

from apiclient import (
    APIClient,
    AsyncAPIClient,
    Bucket,
    InFlightLimiter,
    InFlightLimitReached,
    ProtocolError,
    RateExceededError,
    RedisConcurrencyLimiter,
)
from apiclient.testing import FakeServer, RecordedRequest, Reply

from .conftest import Acme
from .redis_server import RedisServer

MakeClient = Callable[..., Acme]


class Concurrency:
    """A route that records how many requests it serves at once.

    Each request is held until ``hold`` are inside together (or a short while passes), so
    that a limit that lets more through shows it.
    """

    def __init__(self, hold: int) -> None:
        self.hold = hold
        self.inside = 0
        self.most = 0
        self.served = 0
        self._condition = threading.Condition()

    def __call__(self, request: RecordedRequest) -> Reply:
        with self._condition:
            self.inside += 1
            self.served += 1
            self.most = max(self.most, self.inside)
            self._condition.notify_all()
            self._condition.wait_for(lambda: self.inside >= self.hold, timeout=0.05)
            self.inside -= 1
        return Reply(json="ok")


def test_slots_are_refused_past_the_budget_and_released_once() -> None:
    limiter = InFlightLimiter(1)
    held = limiter.enter()
    with pytest.raises(InFlightLimitReached, match="max_in_flight=1"):
        limiter.enter(timeout=0)
    with pytest.raises(InFlightLimitReached):
        limiter.enter(timeout=0.01)  # waited, withdrew: nothing is left queued
    assert not limiter._waiters
    held.release()
    held.release()  # a second release is a no-op
    assert limiter.in_flight == 0 and limiter.enter().released is False


def test_slots_are_granted_in_arrival_order_to_tasks_and_threads() -> None:
    limiter = InFlightLimiter(1)
    order: list[str] = []

    async def take(name: str) -> None:
        slot = await limiter.enter_async()
        order.append(name)
        slot.release()

    def thread_takes() -> None:
        slot = limiter.enter()
        order.append("thread")
        slot.release()

    async def scenario() -> None:
        held = await limiter.enter_async()
        first = asyncio.create_task(take("first"))
        await asyncio.sleep(0)  # (lets the task run up to its wait: it is queued)
        thread = threading.Thread(target=thread_takes)
        thread.start()
        await asyncio.to_thread(_until, lambda: len(limiter._waiters) == 2)
        last = asyncio.create_task(take("last"))
        await asyncio.sleep(0)
        held.release()
        await asyncio.gather(first, last)
        await asyncio.to_thread(thread.join)

    asyncio.run(scenario())
    assert order == ["first", "thread", "last"] and limiter.in_flight == 0


def _until(condition: Callable[[], bool]) -> None:
    """Block until ``condition()`` holds, re-checking as threads switch (no fixed sleep)."""
    while not condition():
        threading.Event().wait(0)


def test_a_cancelled_task_passes_its_slot_on() -> None:
    limiter = InFlightLimiter(1)

    async def scenario() -> int:
        held = await limiter.enter_async()
        waiting = asyncio.create_task(limiter.enter_async())
        patient = asyncio.create_task(limiter.enter_async())
        await asyncio.sleep(0)
        waiting.cancel()
        held.release()
        slot = await patient
        slot.release()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        return limiter.in_flight

    assert asyncio.run(scenario()) == 0


def test_fifty_threads_never_have_more_than_four_on_the_wire(fake_server: FakeServer) -> None:
    route = Concurrency(hold=4)
    fake_server.add("GET /work", route)
    api = APIClient(base_url=fake_server.url, max_in_flight=4, pool_maxsize=16)
    threads = [threading.Thread(target=api.get, args=("/work",)) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert route.served == 50 and route.most == 4


def test_two_hundred_tasks_never_have_more_than_four_on_the_wire(fake_server: FakeServer) -> None:
    route = Concurrency(hold=4)
    fake_server.add("GET /work", route)

    async def scenario() -> list[object]:
        async with AsyncAPIClient(base_url=fake_server.url, max_in_flight=4) as api:
            return await asyncio.gather(*(api.get("/work") for _ in range(200)))

    assert asyncio.run(scenario()) == ["ok"] * 200
    assert route.served == 200 and route.most == 4


def test_a_bucket_caps_its_own_routes(fake_server: FakeServer) -> None:
    writes, reads = Concurrency(hold=2), Concurrency(hold=4)
    fake_server.add("POST /repos/a/issues", writes)
    fake_server.add("GET /repos/a/issues", reads)
    api = APIClient(
        base_url=fake_server.url, rate_limits={"POST *": Bucket(max_in_flight=1)}, pool_maxsize=16
    )
    calls = [lambda: api.post("/repos/a/issues", json={})] * 8 + [
        lambda: api.get("/repos/a/issues")
    ] * 8
    threads = [threading.Thread(target=call) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert writes.served == 8 and writes.most == 1  # no concurrent writes...
    assert reads.served == 8 and reads.most == 4  # ...while reads go side by side


def test_a_slot_is_released_on_errors_and_when_a_stream_ends(
    fake_server: FakeServer, make_client: MakeClient
) -> None:
    fake_server.add("/broken", Reply(close=True))
    fake_server.add("/body", Reply(body=b"x" * 100_000))
    api = make_client(fake_server, max_in_flight=1, retries=1)
    limiter = api.rate_limits.client_in_flight[0]
    assert isinstance(limiter, InFlightLimiter)
    with pytest.raises(ProtocolError):
        api.get("/broken")
    assert limiter.in_flight == 0
    with api.stream("GET", "/body") as download:
        assert limiter.in_flight == 1  # the stream holds its slot while it is read...
        assert download.read() == b"x" * 100_000
    assert limiter.in_flight == 0  # ...and gives it back
    with api.stream("GET", "/body"):
        pass  # closed unread
    assert limiter.in_flight == 0
    assert api.get("/body") == b"x" * 100_000 and limiter.in_flight == 0


def test_waiting_for_a_slot_stays_within_the_calls_deadline(fake_server: FakeServer) -> None:
    fake_server.add("/x", Reply(json=1))
    shared = InFlightLimiter(1)
    api = APIClient(base_url=fake_server.url, max_in_flight=shared, timeout=(5, 5))
    held = shared.enter()
    with pytest.raises(RateExceededError) as refused:
        api.get("/x", timeout=api.timeout.__class__(connect=5, read=5, total=0.05))
    assert isinstance(refused.value, InFlightLimitReached)
    held.release()
    assert api.get("/x") == 1


def test_a_redis_limit_caps_every_client_sharing_the_key(
    fake_server: FakeServer, redis_server: RedisServer
) -> None:
    route = Concurrency(hold=2)
    fake_server.add("GET /work", route)
    key = uuid.uuid4().hex
    clients = [
        APIClient(
            base_url=fake_server.url,
            max_in_flight=RedisConcurrencyLimiter(redis_server.url, key=key, max_in_flight=2),
        )
        for _ in range(4)
    ]
    threads = [threading.Thread(target=c.get, args=("/work",)) for c in clients for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert route.served == 16 and route.most == 2


def test_a_redis_limit_in_the_async_client(
    fake_server: FakeServer, redis_server: RedisServer
) -> None:
    route = Concurrency(hold=3)
    fake_server.add("GET /work", route)
    limiter = RedisConcurrencyLimiter(redis_server.url, key=uuid.uuid4().hex, max_in_flight=3)

    async def scenario() -> list[object]:
        async with AsyncAPIClient(base_url=fake_server.url, max_in_flight=limiter) as api:
            results = await asyncio.gather(*(api.get("/work") for _ in range(30)))
        await limiter.aclose()
        return results

    assert asyncio.run(scenario()) == ["ok"] * 30
    assert route.most == 3 and limiter.in_flight() == 0


KILLED_WORKER = """
import os, signal, sys
from apiclient import RedisConcurrencyLimiter
url, key = sys.argv[1:]
limiter = RedisConcurrencyLimiter(url, key=key, max_in_flight=1, lease_seconds=1.0)
limiter.enter()
print("holding", flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_worker_killed_with_sigkill_releases_its_slot_when_the_lease_expires(
    redis_server: RedisServer,
) -> None:
    key = uuid.uuid4().hex
    worker = subprocess.run(
        [sys.executable, "-c", KILLED_WORKER, redis_server.url, key],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert worker.stdout.strip() == "holding" and worker.returncode == -9
    limiter = RedisConcurrencyLimiter(redis_server.url, key=key, max_in_flight=1)
    assert limiter.in_flight() == 1  # the dead worker's lease...
    with pytest.raises(InFlightLimitReached):
        limiter.enter(timeout=0)
    slot = limiter.enter(timeout=30)  # ...expires after its TTL, and the slot is free again
    slot.release()
    assert limiter.in_flight() == 0
