"""AsyncAPIClient vs raw aiohttp, side by side in one run; and vs the sync client under load.

Usage: .venv/bin/python bench/async_bench.py [calls] [rounds]

Client CPU per call (process time; the server runs in another process), sequential and with
100 calls in flight, median over rounds; then the wall time of the same 100-concurrent
workload on the sync APIClient with 100 threads.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor

import aiohttp

sys.path.insert(0, "bench")
from hotpath import serve  # the same keep-alive JSON server

from apiclient import APIClient, AsyncAPIClient

Call = Callable[[], Awaitable[object]]


async def measure(call: Call, calls: int, concurrency: int) -> tuple[float, float]:
    await call()
    cpu, wall = time.process_time(), time.perf_counter()
    if concurrency == 1:
        for _ in range(calls):
            await call()
    else:
        semaphore = asyncio.Semaphore(concurrency)

        async def one() -> None:
            async with semaphore:
                await call()

        await asyncio.gather(*(one() for _ in range(calls)))
    return (time.process_time() - cpu) / calls * 1e6, time.perf_counter() - wall


async def run(url: str, calls: int, rounds: int) -> None:
    async with (
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100)) as session,
        AsyncAPIClient(base_url=url, pool_maxsize=100) as api,
    ):

        async def raw() -> object:
            async with session.get(url + "item") as response:
                return json.loads(await response.read())

        async def ours() -> object:
            return await api.get("/item")

        for concurrency in (1, 100):
            samples: dict[str, list[float]] = {
                "raw aiohttp + json.loads": [],
                "AsyncAPIClient.get": [],
            }
            walls: dict[str, list[float]] = {name: [] for name in samples}
            for _ in range(rounds):
                for name, call in (("raw aiohttp + json.loads", raw), ("AsyncAPIClient.get", ours)):
                    cpu, wall = await measure(call, calls, concurrency)
                    samples[name].append(cpu)
                    walls[name].append(wall)
            base = statistics.median(samples["raw aiohttp + json.loads"])
            print(f"{calls} calls, {concurrency} in flight, median of {rounds} rounds")
            for name, values in samples.items():
                cpu = statistics.median(values)
                wall = statistics.median(walls[name])
                ratio = cpu / base
                print(f"  {name:28s} {cpu:8.1f} us CPU/call  {ratio:5.2f}x   wall {wall:6.2f}s")
    return None


def sync_concurrent_wall(url: str, calls: int) -> float:
    with APIClient(base_url=url, pool_maxsize=100) as api, ThreadPoolExecutor(100) as pool:
        api.get("/item")
        started = time.perf_counter()
        list(pool.map(lambda _: api.get("/item"), range(calls)))
        return time.perf_counter() - started


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    server = multiprocessing.Process(target=serve, args=(queue,), daemon=True)
    server.start()
    url = f"http://127.0.0.1:{queue.get()}/"
    asyncio.run(run(url, calls, rounds))
    print(
        f"sync APIClient, 100 threads, {calls} calls: wall {sync_concurrent_wall(url, calls):6.2f}s"
    )
    server.terminate()


if __name__ == "__main__":
    main()
