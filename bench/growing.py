"""The costs that grow with the work, against the hand-written urllib3 loop, in one run.

Usage: .venv/bin/python bench/growing.py [--rounds R]

Rows, each a median over rounds of the per-round ratio (contenders take turns):
  * GET + JSON (a 90-byte body), 1 MB JSON body, 1,000 pages followed by their Link
    headers: client CPU per call against raw ``urllib3.PoolManager`` + ``json.loads``
    (the server is another process), for ``APIClient`` on urllib3 and on libcurl. The
    1 MB row also gives the peak of Python allocations (tracemalloc, a separate pass).
  * time to a first usable client, in fresh interpreters: ``import apiclient;
    APIClient(...)`` against ``import urllib3; urllib3.PoolManager()``, every module's
    bytecode compiled first (as pip does when it installs a wheel).
  * ``RateLimiter.acquire()`` with a second limit (``also=``) against one limit.
"""

from __future__ import annotations

import argparse
import gc
import json
import re
import statistics
import sys
import time
import timeit
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loopback_server import PAGES, LoopbackServer
from rounds import compile_once, fresh_interpreter, paired_ratio, rotated, round_ratios

Call = Callable[[], Any]
_NEXT = re.compile(r'<([^>]*)>;\s*rel="next"')


def raw_contender(url: str) -> tuple[dict[str, Call], Call]:
    import urllib3

    pool = urllib3.PoolManager()

    def pages() -> int:
        items, target = 0, url + "pages?n=1"
        while target:
            response = pool.request("GET", target)
            items += len(json.loads(response.data))
            link = _NEXT.search(response.headers.get("link", ""))
            target = url + link.group(1).lstrip("/") if link else ""
        return items

    return {
        "GET + JSON": lambda: json.loads(pool.request("GET", url + "item").data),
        "1 MB JSON": lambda: json.loads(pool.request("GET", url + "big").data),
        f"{PAGES:,} pages": pages,
    }, pool.clear


def apiclient_contender(url: str, transport: Any = None) -> tuple[dict[str, Call], Call]:
    from apiclient import APIClient

    api = APIClient(base_url=url, transport=transport)
    return {
        "GET + JSON": lambda: api.get("/item"),
        "1 MB JSON": lambda: api.get("/big"),
        f"{PAGES:,} pages": lambda: sum(1 for _ in api.paginate("/pages", {"n": 1})),
    }, api.close


def curl_contender(url: str) -> tuple[dict[str, Call], Call]:
    from apiclient.transports.curl import CurlTransport

    return apiclient_contender(url, CurlTransport)


CONTENDERS = {
    "raw urllib3": raw_contender,
    "APIClient (urllib3)": apiclient_contender,
    "APIClient (CurlTransport)": curl_contender,
}
REPEATS = {"GET + JSON": 2000, "1 MB JSON": 60, f"{PAGES:,} pages": 2}


def cpu_per_call(call: Call, repeats: int) -> float:
    call()  # warm
    gc.collect()
    started = time.process_time()
    for _ in range(repeats):
        call()
    return (time.process_time() - started) / repeats * 1e6


def peak_kib(make: Callable[[str], tuple[dict[str, Call], Call]], url: str) -> float:
    calls, close = make(url)
    calls["1 MB JSON"]()
    gc.collect()
    tracemalloc.start()
    calls["1 MB JSON"]()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    close()
    return peak / 1024


def transfers(url: str, rounds: int) -> None:
    rows = list(REPEATS)
    samples: dict[str, dict[str, list[float]]] = {
        row: {name: [] for name in CONTENDERS} for row in rows
    }
    for number in range(rounds):
        for name, make in rotated(list(CONTENDERS.items()), number):
            calls, close = make(url)
            for row in rows:
                samples[row][name].append(cpu_per_call(calls[row], REPEATS[row]))
            close()
    for row in rows:
        base = samples[row]["raw urllib3"]
        print(f"\n{row}: CPU per call, median of {rounds} rounds (ratio: per round, then median)")
        for name, values in samples[row].items():
            ratios, cpu = round_ratios(values, base), statistics.median(values)
            print(f"  {name:27s} {cpu:9.1f} us  {paired_ratio(values, base):5.2f}x"
                  f"  ({min(ratios):.2f}-{max(ratios):.2f})")  # fmt: skip
    print("\n1 MB JSON: peak Python allocations during one call")
    for name, make in CONTENDERS.items():
        print(f"  {name:27s} {peak_kib(make, url):9.0f} KiB")


PROBE = "import time; t = time.perf_counter(); {code}; print(time.perf_counter() - t)"
FIRST_CLIENT = {
    "import urllib3; PoolManager()": "import urllib3; urllib3.PoolManager()",
    "import apiclient": "import apiclient",
    "import apiclient; APIClient()": (
        "import apiclient; apiclient.APIClient(base_url='http://127.0.0.1:1/')"
    ),
}


def first_client(runs: int) -> None:
    samples: dict[str, list[float]] = {name: [] for name in FIRST_CLIENT}
    compile_once(*FIRST_CLIENT.values())
    for number in range(runs):
        for name, code in rotated(list(FIRST_CLIENT.items()), number):
            samples[name].append(float(fresh_interpreter(PROBE.format(code=code))))
    base = samples["import urllib3; PoolManager()"]
    print(f"\ntime to a first client: fresh interpreters, median of {runs}")
    for name, values in samples.items():
        print(f"  {name:32s} {statistics.median(values) * 1e3:6.1f} ms"
              f"  {paired_ratio(values, base):5.2f}x")  # fmt: skip


def acquire_costs(rounds: int) -> None:
    from apiclient import RateLimiter
    from apiclient.ratelimit.memory import Limit

    one, two = [], []
    for _ in range(rounds):  # limits so high that nobody waits: the cost of the bookkeeping
        single = RateLimiter(10**9, 1)
        double = RateLimiter(10**9, 1, also=[Limit(10**9, 3600)])
        one.append(timeit.timeit(single.acquire, number=100_000) * 10)
        two.append(timeit.timeit(double.acquire, number=100_000) * 10)
    print(f"\nRateLimiter.acquire(), median of {rounds} rounds of 100,000")
    print(f"  one limit                  {statistics.median(one):6.2f} us")
    print(f"  two limits (also=)         {statistics.median(two):6.2f} us"
          f"  {paired_ratio(two, one):5.2f}x")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    server = LoopbackServer()
    try:
        transfers(server.url, args.rounds)
    finally:
        server.stop()
    first_client(3 * args.rounds)
    acquire_costs(args.rounds)


if __name__ == "__main__":
    main()
