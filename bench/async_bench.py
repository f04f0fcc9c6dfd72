"""AsyncAPIClient vs raw aiohttp, side by side in one run; and vs the sync client under load.

Usage: .venv/bin/python bench/async_bench.py [calls] [rounds]

Client CPU per call (process time; the server runs in another process), sequential and with
100 calls in flight, median over rounds; then the wall time of the same 100-concurrent
workload on the sync APIClient with 100 threads. The raw aiohttp contenders (bare, same
request, same request with no total limit) are described in ``async_contenders.py``.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, "bench")
from async_contenders import Call, async_contenders, run_calls
from loopback_server import LoopbackServer  # the same keep-alive JSON server as compare.py
from rounds import paired_ratio, rotated, round_ratios

from apiclient import APIClient


async def measure(call: Call, calls: int, concurrency: int) -> tuple[float, float]:
    await call()
    gc.collect()  # each run starts with no garbage left by the previous contender
    cpu, wall = time.process_time(), time.perf_counter()
    await run_calls(call, calls, concurrency)
    return (time.process_time() - cpu) / calls * 1e6, time.perf_counter() - wall


BARE = "raw aiohttp + json.loads"
SAME = "raw aiohttp, same request"
UNTIMED = "raw aiohttp, no total limit"
OURS = "AsyncAPIClient.get"


async def run(url: str, calls: int, rounds: int) -> None:
    async with async_contenders(url) as each:
        contenders: dict[str, Call] = {
            BARE: each.bare,
            SAME: each.same,
            UNTIMED: each.untimed,
            OURS: each.ours,
        }
        for concurrency in (1, 100):
            samples: dict[str, list[float]] = {name: [] for name in contenders}
            walls: dict[str, list[float]] = {name: [] for name in contenders}
            order = list(contenders.items())
            for round_number in range(rounds):
                for name, call in rotated(order, round_number):
                    cpu, wall = await measure(call, calls, concurrency)
                    samples[name].append(cpu)
                    walls[name].append(wall)
            print(f"{calls} calls, {concurrency} in flight, median of {rounds} rounds")
            for name, values in samples.items():
                # Ratios are taken within each round, then the median: a slow spell of the
                # machine then slows both sides of a ratio alike.
                vs_bare = paired_ratio(values, samples[BARE])
                vs_same = paired_ratio(values, samples[SAME])
                low, high = ratio_range(values, samples[SAME])
                print(
                    f"  {name:28s} {statistics.median(values):8.1f} us CPU/call"
                    f"  {vs_bare:5.2f}x bare  {vs_same:5.2f}x same ({low:.2f}-{high:.2f})"
                    f"   wall {statistics.median(walls[name]):6.2f}s"
                )


def ratio_range(values: list[float], baseline: list[float]) -> tuple[float, float]:
    """The lowest and highest of the rounds' ratios: how far one round can be trusted."""
    ratios = round_ratios(values, baseline)
    return min(ratios), max(ratios)


def sync_concurrent_wall(url: str, calls: int) -> float:
    with APIClient(base_url=url, pool_maxsize=100) as api, ThreadPoolExecutor(100) as pool:
        api.get("/item")
        started = time.perf_counter()
        list(pool.map(lambda _: api.get("/item"), range(calls)))
        return time.perf_counter() - started


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    server = LoopbackServer()
    try:
        asyncio.run(run(server.url, calls, rounds))
        wall = sync_concurrent_wall(server.url, calls)
        print(f"sync APIClient, 100 threads, {calls} calls: wall {wall:6.2f}s")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
