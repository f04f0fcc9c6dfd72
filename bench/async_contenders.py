"""The async contenders every async benchmark compares, defined once.

"Same request" is raw aiohttp sending what ``AsyncAPIClient`` sends by default: its
``Accept`` and ``User-Agent`` headers and its time limits (10 s connect, 30 s between
reads, 120 s in all), so that a ratio to it shows the framework's own cost rather than
the cost of those features inside aiohttp. "Bare" is raw aiohttp with its own defaults.
"Untimed" is the same request with no total limit: the client keeps its total limit with
one timer per event loop where aiohttp arms one per request, and that row shows how much of
its ratio that accounts for.
The client's layers, each adding one to the one before: ``transport`` is
``AiohttpTransport.send`` alone, ``loop`` the request loop driving it
(``run_async(exchange(...))``), ``ours`` the whole client (``api.get``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp

from apiclient import AsyncAPIClient, driver
from apiclient.flow import exchange
from apiclient.models import Request

Call = Callable[[], Awaitable[object]]
HEADERS = {"Accept": "application/json", "User-Agent": "apiclient/bench"}


@dataclass
class AsyncContenders:
    """One GET + JSON call each: raw aiohttp (bare, same request, untimed), the client's layers."""

    bare: Call
    same: Call
    untimed: Call
    transport: Call
    loop: Call
    ours: Call
    api: AsyncAPIClient


@asynccontextmanager
async def async_contenders(base_url: str, in_flight: int = 100) -> AsyncIterator[AsyncContenders]:
    """A session and a client with ``in_flight`` connections each, against ``base_url``."""
    url = base_url + "item"
    limits = aiohttp.ClientTimeout(total=120, sock_connect=10, sock_read=30)
    no_total = aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=30)
    async with (
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=in_flight)) as session,
        AsyncAPIClient(base_url=base_url, pool_maxsize=in_flight) as api,
    ):

        async def bare() -> object:
            async with session.get(url) as response:
                return json.loads(await response.read())

        async def same() -> object:
            async with session.get(url, headers=HEADERS, timeout=limits) as response:
                return json.loads(await response.read())

        async def untimed() -> object:
            async with session.get(url, headers=HEADERS, timeout=no_total) as response:
                return json.loads(await response.read())

        request = Request("GET", url, api.headers.copy())  # what api.get("/item") builds

        async def transport() -> object:
            response = await api.transport.send(
                request, timeout=api.timeout, max_body_bytes=api.max_body_bytes
            )
            return json.loads(response.data)

        async def loop() -> object:
            flow = exchange(request, api._settings)
            return json.loads((await driver.run_async(flow, api.transport, api._sleep)).data)

        async def ours() -> object:
            return await api.get("/item")

        yield AsyncContenders(bare, same, untimed, transport, loop, ours, api)


async def run_calls(call: Call, calls: int, in_flight: int) -> None:
    """Make ``calls`` calls, at most ``in_flight`` at a time (1: one after another)."""
    if in_flight == 1:
        for _ in range(calls):
            await call()
        return
    gate = asyncio.Semaphore(in_flight)

    async def one() -> None:
        async with gate:
            await call()

    await asyncio.gather(*(one() for _ in range(calls)))
