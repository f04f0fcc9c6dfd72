"""Instructions per GET+JSON call, apiclient vs raw urllib3 and raw aiohttp: ratios without noise.

Usage: .venv/bin/python bench/instructions.py [calls]      (needs valgrind)

Runs each contender under ``valgrind --tool=callgrind`` twice, with ``calls`` calls and with
none, and divides the difference by ``calls``: start-up and imports cancel out. Only the
client process is counted (the server runs in a child, which callgrind reports apart).
Instruction counts repeat within about 0.5% for the same code and input, whatever else the
machine is doing (the hash seed is fixed, so dicts and sets are laid out alike in every
run), so they show small changes that CPU time on a noisy machine hides. (They do not
show memory stalls: with 100 calls in flight, CPU time ratios come out a few points higher.)

The async contenders are raw aiohttp sending what ``AsyncAPIClient`` sends by default (its
headers and time limits) and ``AsyncAPIClient.get``, one call at a time and 100 in flight.
One call at a time, the client's layers are counted too (``AiohttpTransport.send`` alone,
then the request loop driving it): where the instructions over raw aiohttp are spent.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loopback_server import LoopbackServer

SYNC = "GET + JSON, sync"
SEQUENTIAL = "GET + JSON, async, one at a time"
IN_FLIGHT = "GET + JSON, async, 100 in flight"
RAW_AIOHTTP = "raw aiohttp, same request"
ASYNC_CLIENT = "apiclient AsyncAPIClient.get"
TRANSPORT = "  AiohttpTransport.send alone"
LOOP = "  + request loop (run_async)"
#: Each workload's contenders, its baseline first.
CONTENDERS = {
    SYNC: ("raw urllib3 PoolManager + json.loads", "apiclient APIClient.get"),
    SEQUENTIAL: (RAW_AIOHTTP, TRANSPORT, LOOP, ASYNC_CLIENT),
    IN_FLIGHT: (RAW_AIOHTTP, ASYNC_CLIENT),
}


def run(workload: str, contender: str, calls: int) -> None:
    """The measured program: warm up, then ``calls`` calls of ``contender``."""
    logging.getLogger("apiclient").setLevel(logging.INFO)
    server = LoopbackServer()
    try:
        if workload == SYNC:
            run_sync(server.url, contender, calls)
        else:
            asyncio.run(run_async(server.url, contender, calls, workload == IN_FLIGHT))
    finally:
        server.stop()


def run_sync(base_url: str, contender: str, calls: int) -> None:
    import urllib3

    from apiclient import APIClient

    pool = urllib3.PoolManager()
    api = APIClient(base_url=base_url)
    url = base_url + "item"
    calls_by_name: dict[str, Callable[[], object]] = {
        "raw urllib3 PoolManager + json.loads": lambda: json.loads(pool.request("GET", url).data),
        "apiclient APIClient.get": lambda: api.get("/item"),
    }
    call = calls_by_name[contender]
    for _ in range(calls + 2):  # two to warm up: a connection open, caches filled
        call()


async def run_async(base_url: str, contender: str, calls: int, in_flight: bool) -> None:
    from async_contenders import async_contenders, run_calls

    async with async_contenders(base_url) as each:
        call = {RAW_AIOHTTP: each.same, TRANSPORT: each.transport, LOOP: each.loop}.get(
            contender, each.ours
        )
        if not in_flight:
            await run_calls(call, calls + 2, 1)
            return
        await run_calls(call, 200, 100)  # warm: 100 connections open
        await run_calls(call, calls, 100)


def instructions(workload: str, contender: str, calls: int) -> int:
    """Instructions of the client process (the largest of the processes callgrind reports)."""
    result = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            __file__,
            "--run",
            workload,
            contender,
            str(calls),
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},  # the same dict layouts in every run
    )
    counts = [int(n) for n in re.findall(r"Collected : (\d+)", result.stderr)]
    return max(counts)


def main() -> None:
    if sys.argv[1:2] == ["--run"]:
        run(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    print(f"instructions per call ({calls} calls, callgrind)")
    for workload, contenders in CONTENDERS.items():
        per_call = {
            contender: (
                instructions(workload, contender, calls) - instructions(workload, contender, 0)
            )
            / calls
            for contender in contenders
        }
        baseline = per_call[contenders[0]]
        print(f"  {workload}")
        for contender, count in per_call.items():
            print(f"    {contender:40s} {count / 1000:8.1f}k  {count / baseline:5.3f}x")


if __name__ == "__main__":
    main()
