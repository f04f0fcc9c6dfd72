"""Where AsyncAPIClient's cost over raw aiohttp goes, layer by layer, 100 calls in flight.

Usage: .venv/bin/python bench/async_breakdown.py [calls] [rounds]

Against the loopback server, paired with raw aiohttp sending the same request in each round:
the transport alone (``AiohttpTransport.send``), the request loop driving it
(``driver.run_async(exchange(...))``), and the whole client (``api.get``). Then the whole
client against an in-process transport that suspends four times per call, to show the
framework's own cost without sockets.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loopback_server import LoopbackServer

from apiclient import AsyncAPIClient, Response, Timeouts, driver
from apiclient.flow import exchange
from apiclient.models import Headers, Request

Call = Callable[[], Awaitable[object]]
HEADERS = {"Accept": "application/json", "User-Agent": "apiclient/bench"}


async def cpu_per_call(call: Call, calls: int, in_flight: int = 100) -> float:
    await call()
    gate = asyncio.Semaphore(in_flight)

    async def one() -> None:
        async with gate:
            await call()

    started = time.process_time()
    await asyncio.gather(*(one() for _ in range(calls)))
    return (time.process_time() - started) / calls * 1e6


class InProcessTransport:
    """Answers at once after four suspensions, like a socket round trip without the socket."""

    body = json.dumps({"id": 1}).encode()

    async def send(self, request: Request, **_: Any) -> Response:
        for _ in range(4):
            await asyncio.sleep(0)
        return Response(200, {"Content-Type": "application/json"}, self.body)

    async def aclose(self) -> None:
        pass


async def main(calls: int, rounds: int) -> None:
    server = LoopbackServer()
    url = server.url + "item"
    limits = aiohttp.ClientTimeout(total=120, sock_connect=10, sock_read=30)
    async with (
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100)) as session,
        AsyncAPIClient(base_url=server.url, pool_maxsize=100) as api,
    ):
        request = Request("GET", url, Headers(HEADERS))
        timeouts = Timeouts(10, 30, 119.99)

        async def same() -> object:
            async with session.get(url, headers=HEADERS, timeout=limits) as response:
                return json.loads(await response.read())

        async def transport() -> object:
            return json.loads((await api.transport.send(request, timeout=timeouts)).data)

        async def loop() -> object:
            flow = exchange(request, api._settings)
            return json.loads((await driver.run_async(flow, api.transport, api._sleep)).data)

        async def client() -> object:
            return await api.get("/item")

        layers: dict[str, Call] = {
            "raw aiohttp, same request": same,
            "+ AiohttpTransport.send": transport,
            "+ request loop (run_async)": loop,
            "+ client (api.get)": client,
        }
        samples: dict[str, list[float]] = {name: [] for name in layers}
        for _ in range(rounds):
            for name, call in layers.items():
                samples[name].append(await cpu_per_call(call, calls))
    server.stop()
    base = samples["raw aiohttp, same request"]
    print(f"{calls} calls, 100 in flight, {rounds} rounds: CPU per call, paired ratio")
    for name, values in samples.items():
        ratio = statistics.median(v / b for v, b in zip(values, base, strict=True))
        print(f"  {name:30s} {statistics.median(values):7.1f} us  {ratio:5.2f}x")

    in_process = AsyncAPIClient(base_url="http://127.0.0.1:1/", transport=InProcessTransport())
    bare_transport = InProcessTransport()

    async def bare() -> object:
        return json.loads((await bare_transport.send(request)).data)

    async def whole() -> object:
        return await in_process.get("/item")

    bare_us = statistics.median([await cpu_per_call(bare, calls) for _ in range(rounds)])
    whole_us = statistics.median([await cpu_per_call(whole, calls) for _ in range(rounds)])
    print(f"in-process transport: client adds {whole_us - bare_us:.1f} us per call")


if __name__ == "__main__":
    asyncio.run(
        main(
            int(sys.argv[1]) if len(sys.argv) > 1 else 4000,
            int(sys.argv[2]) if len(sys.argv) > 2 else 5,
        )
    )
