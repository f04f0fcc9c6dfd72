"""Where AsyncAPIClient's cost over raw aiohttp goes, layer by layer, 100 calls in flight.

Usage: .venv/bin/python bench/async_breakdown.py [calls] [rounds]

Against the loopback server, paired with raw aiohttp sending the same request in each round
(the order rotating from round to round): the transport alone (``AiohttpTransport.send``),
the request loop driving it (``driver.run_async(exchange(...))``), and the whole client
(``api.get``). Each layer's CPU per call is split into the time spent inside Python's cyclic
garbage collector (measured with ``gc.callbacks``) and the rest: with 100 calls in flight,
every object a call keeps alive is traversed by each collection that runs meanwhile. Then
the whole client against an in-process transport that suspends four times per call, to show
the framework's own cost without sockets.
"""

from __future__ import annotations

import asyncio
import gc
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from async_contenders import HEADERS, Call, async_contenders, run_calls
from loopback_server import LoopbackServer
from rounds import paired_ratio, rotated

from apiclient import AsyncAPIClient, Response
from apiclient.models import Headers, Request


class CollectorClock:
    """CPU seconds spent inside the garbage collector, from its start/stop callbacks."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.process_time()
        else:
            self.seconds += time.process_time() - self._started


async def cpu_per_call(call: Call, calls: int, in_flight: int = 100) -> tuple[float, float]:
    """CPU µs per call, and how many of them were spent in the garbage collector."""
    await call()
    gc.collect()  # no garbage carried over from the previous run
    collector = CollectorClock()
    gc.callbacks.append(collector)
    started = time.process_time()
    try:
        await run_calls(call, calls, in_flight)
    finally:
        gc.callbacks.remove(collector)
    total = (time.process_time() - started) / calls * 1e6
    return total, collector.seconds / calls * 1e6


class InProcessTransport:
    """Answers at once after four suspensions, like a socket round trip without the socket."""

    body = json.dumps({"id": 1}).encode()

    async def send(self, request: Request, **options: Any) -> Response:
        for _ in range(4):
            await asyncio.sleep(0)
        return Response(200, {"Content-Type": "application/json"}, self.body)

    async def aclose(self) -> None:
        pass


async def main(calls: int, rounds: int) -> None:
    server = LoopbackServer()
    async with async_contenders(server.url) as each:
        layers: dict[str, Call] = {
            "raw aiohttp, same request": each.same,
            "+ AiohttpTransport.send": each.transport,
            "+ request loop (run_async)": each.loop,
            "+ client (api.get)": each.ours,
        }
        totals: dict[str, list[float]] = {name: [] for name in layers}
        in_gc: dict[str, list[float]] = {name: [] for name in layers}
        order = list(layers.items())
        for round_number in range(rounds):
            for name, call in rotated(order, round_number):
                total, collecting = await cpu_per_call(call, calls)
                totals[name].append(total)
                in_gc[name].append(collecting)
    server.stop()
    base, base_gc = totals["raw aiohttp, same request"], in_gc["raw aiohttp, same request"]
    base_rest = [t - g for t, g in zip(base, base_gc, strict=True)]
    print(f"{calls} calls, 100 in flight, {rounds} rounds: CPU per call, paired ratio (median)")
    print(f"  {'layer':30s} {'CPU':>9s} {'ratio':>6s} {'in GC':>8s} {'rest':>9s} {'ratio':>6s}")
    for name, values in totals.items():
        rest = [t - g for t, g in zip(values, in_gc[name], strict=True)]
        print(
            f"  {name:30s} {statistics.median(values):6.1f} us {paired_ratio(values, base):5.2f}x"
            f" {statistics.median(in_gc[name]):5.1f} us {statistics.median(rest):6.1f} us"
            f" {paired_ratio(rest, base_rest):5.2f}x"
        )

    in_process = AsyncAPIClient(base_url="http://127.0.0.1:1/", transport=InProcessTransport())
    bare_transport = InProcessTransport()
    request = Request("GET", "http://127.0.0.1:1/item", Headers(HEADERS))

    async def bare() -> object:
        return json.loads((await bare_transport.send(request)).data)

    async def whole() -> object:
        return await in_process.get("/item")

    bare_us = statistics.median([(await cpu_per_call(bare, calls))[0] for _ in range(rounds)])
    whole_us = statistics.median([(await cpu_per_call(whole, calls))[0] for _ in range(rounds)])
    print(f"in-process transport: client adds {whole_us - bare_us:.1f} us per call")


if __name__ == "__main__":
    asyncio.run(
        main(
            int(sys.argv[1]) if len(sys.argv) > 1 else 4000,
            int(sys.argv[2]) if len(sys.argv) > 2 else 5,
        )
    )
