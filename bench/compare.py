"""apiclient against the HTTP clients a user might otherwise pick, side by side in one run.

Usage: .venv/bin/python bench/compare.py [--calls N] [--rounds R]   (or ``make bench``)

A keep-alive JSON server runs in another process (``loopback_server.py``), so
``time.process_time()`` here counts only client CPU. For each workload (GET + JSON
decoding, POST of a JSON body, 8 threads sharing one client) and each contender, every
round builds a fresh client and measures client CPU per call, wall calls/s, TCP
connections opened and errors; contenders alternate within a round and the table shows
medians over rounds, as ratios to raw urllib3. Peak memory (Python allocations, tracemalloc)
is measured in a separate short pass, since tracing slows everything down. Then import time
and RSS after import, in fresh interpreters.

Then the rows of ``growing.py``: 1 MB bodies, 1,000 pages, time to a first client and
``acquire()`` with two limits.

Contenders: ``http.client`` on one connection (the floor), raw ``urllib3.PoolManager``,
``requests.Session``, ``httpx.Client``, the original apiclient 1.0.4 from PyPI (installed
by ``make bench`` into ``bench/.contenders``, loaded as ``apiclient_104``), and
apiclient's ``APIClient`` with its default features on (timeouts, retry and redirect
policies, adaptive throttle, redaction) and the ``apiclient`` logger at INFO, on urllib3
and on libcurl (``CurlTransport``), and one pycurl handle driven by hand.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import logging
import statistics
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import growing
from loopback_server import LoopbackServer
from rounds import compile_once, fresh_interpreter, rotated

HERE = Path(__file__).resolve().parent
OLD_APICLIENT = HERE / ".contenders" / "apiclient-1.0.4" / "apiclient"
PAYLOAD: dict[str, Any] = {"name": "widget", "tags": ["a", "b"], "price": 9.5}
#: The "POST 10 KB" workload's body: a list of 200 small records, about 10 KB of JSON.
BIG_PAYLOAD: list[dict[str, Any]] = [{"id": i, "name": f"item {i:05d}", "ok": True}
                                     for i in range(200)]  # fmt: skip
THREADS = 8
THREADS_MANY = 64
BASELINE = "urllib3.PoolManager"


@dataclass
class Client:
    """One contender's client: a GET and (where it can) a POST, each returning decoded JSON."""

    get: Callable[[], Any]
    post: Callable[[], Any] | None
    close: Callable[[], None]
    thread_safe: bool = True
    post_10k: Callable[[], Any] | None = None


def http_client(url: str) -> Client:
    import http.client

    host, port = url.split("//")[1].rstrip("/").split(":")
    connection = http.client.HTTPConnection(host, int(port))
    body = json.dumps(PAYLOAD).encode()

    def get() -> Any:
        connection.request("GET", "/item")
        return json.loads(connection.getresponse().read())

    def post() -> Any:
        connection.request("POST", "/item", body, {"Content-Type": "application/json"})
        return json.loads(connection.getresponse().read())

    return Client(get, post, connection.close, thread_safe=False)


def raw_urllib3(url: str) -> Client:
    import urllib3

    pool = urllib3.PoolManager()
    item = url + "item"

    def post(payload: Any = PAYLOAD) -> Any:
        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"}
        return json.loads(pool.request("POST", item, body=body, headers=headers).data)

    return Client(
        lambda: json.loads(pool.request("GET", item).data), post, pool.clear,
        post_10k=lambda: post(BIG_PAYLOAD),
    )  # fmt: skip


def raw_pycurl(url: str) -> Client:
    """One libcurl handle driven by hand: the floor under CurlTransport."""
    import pycurl

    handle, item, chunks = pycurl.Curl(), url + "item", []
    handle.setopt(pycurl.WRITEFUNCTION, chunks.append)

    def get() -> Any:
        chunks.clear()
        handle.setopt(pycurl.HTTPGET, 1)
        handle.setopt(pycurl.URL, item)
        handle.perform()
        return json.loads(b"".join(chunks))

    def post(payload: Any = PAYLOAD) -> Any:
        chunks.clear()
        handle.setopt(pycurl.URL, item)
        handle.setopt(pycurl.HTTPHEADER, ["Content-Type: application/json"])
        handle.setopt(pycurl.POSTFIELDS, json.dumps(payload).encode())
        handle.perform()
        return json.loads(b"".join(chunks))

    return Client(get, post, handle.close, thread_safe=False, post_10k=lambda: post(BIG_PAYLOAD))


def requests_session(url: str) -> Client:
    import requests

    session = requests.Session()
    item = url + "item"
    return Client(
        lambda: session.get(item).json(),
        lambda: session.post(item, json=PAYLOAD).json(),
        session.close,
    )


def httpx_client(url: str) -> Client:
    import httpx

    client = httpx.Client()
    item = url + "item"
    return Client(
        lambda: client.get(item).json(),
        lambda: client.post(item, json=PAYLOAD).json(),
        client.close,
    )


def old_apiclient(url: str) -> Client:
    module = sys.modules.get("apiclient_104") or _load_old_apiclient()

    class Old(module.APIClient):  # type: ignore[name-defined,misc]
        BASE_URL = url

    api = Old()
    return Client(lambda: api.call("item"), None, api.connection_pool.clear)


def _load_old_apiclient() -> Any:
    spec = importlib.util.spec_from_file_location(
        "apiclient_104",
        OLD_APICLIENT / "__init__.py",
        submodule_search_locations=[str(OLD_APICLIENT)],
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["apiclient_104"] = module
    spec.loader.exec_module(module)
    return module


def ours(url: str, transport: Any = None) -> Client:
    from apiclient import APIClient

    api = APIClient(base_url=url, transport=transport)
    return Client(
        lambda: api.get("/item"), lambda: api.post("/item", json=PAYLOAD), api.close,
        post_10k=lambda: api.post("/item", json=BIG_PAYLOAD),
    )  # fmt: skip


def ours_on_curl(url: str) -> Client:
    from apiclient.transports.curl import CurlTransport

    return ours(url, CurlTransport)


CONTENDERS: dict[str, Callable[[str], Client]] = {
    "http.client (1 connection)": http_client,
    BASELINE: raw_urllib3,
    "requests.Session": requests_session,
    "httpx.Client": httpx_client,
    "apiclient 1.0.4 (PyPI)": old_apiclient,
    "apiclient APIClient": ours,
    "pycurl (1 handle)": raw_pycurl,
    "APIClient + CurlTransport": ours_on_curl,
}


@dataclass
class Samples:
    cpu_us: list[float] = field(default_factory=list)
    calls_per_s: list[float] = field(default_factory=list)
    connections: list[int] = field(default_factory=list)
    errors: list[int] = field(default_factory=list)
    peak_kib: float | None = None
    skipped: str = ""


def workload(client: Client, name: str) -> Callable[[], Any] | str:
    """The call a workload repeats, or why this contender cannot run it."""
    if name == "POST JSON":
        return client.post if client.post is not None else "no request body support"
    if name == "POST 10 KB":
        return client.post_10k if client.post_10k is not None else "not measured"
    if name.endswith("threads, one client") and not client.thread_safe:
        return "not thread-safe"
    return client.get


def threads_of(workload_name: str) -> int:
    """The threads a workload runs on (0: the calling thread alone)."""
    if workload_name.endswith("threads, one client"):
        return int(workload_name.split()[0])
    return 0


def run_once(call: Callable[[], Any], calls: int, threads: int) -> tuple[float, float, int]:
    """Client CPU µs per call, wall calls/s, and errors."""
    errors = 0
    gc.collect()
    cpu, wall = time.process_time(), time.perf_counter()
    if not threads:
        for _ in range(calls):
            call()
    else:
        lock = threading.Lock()

        def worker(count: int) -> None:
            nonlocal errors
            for _ in range(count):
                try:
                    call()
                except Exception:
                    with lock:
                        errors += 1

        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(worker, [calls // threads] * threads))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return cpu / calls * 1e6, calls / wall, errors


def peak_memory(make: Callable[[str], Client], url: str, name: str, calls: int) -> float | None:
    """Peak Python allocations (KiB) while building the client and making ``calls`` calls."""
    gc.collect()
    tracemalloc.start()
    client = make(url)
    call = workload(client, name)
    if isinstance(call, str):
        tracemalloc.stop()
        client.close()
        return None
    run_once(call, calls, threads_of(name))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    client.close()
    return peak / 1024


def bench(server: LoopbackServer, calls: int, rounds: int) -> dict[str, dict[str, Samples]]:
    names = ["GET + JSON", "POST JSON", "POST 10 KB", f"{THREADS} threads, one client",
             f"{THREADS_MANY} threads, one client"]  # fmt: skip
    results = {w: {c: Samples() for c in CONTENDERS} for w in names}
    order = list(CONTENDERS.items())
    for round_number in range(rounds):
        for name in names:
            for contender, make in rotated(order, round_number):
                client = make(server.url)
                call = workload(client, name)
                samples = results[name][contender]
                if isinstance(call, str):
                    samples.skipped = call
                    client.close()
                    continue
                before = server.opened()
                call()  # warm: a connection open, caches filled
                cpu, rate, errors = run_once(call, calls, threads_of(name))
                samples.connections.append(server.opened() - before)
                samples.cpu_us.append(cpu)
                samples.calls_per_s.append(rate)
                samples.errors.append(errors)
                client.close()
    for name in names:
        for contender, make in CONTENDERS.items():
            results[name][contender].peak_kib = peak_memory(make, server.url, name, 400)
    return results


def print_table(name: str, samples: dict[str, Samples], calls: int, rounds: int) -> None:
    base = statistics.median(samples[BASELINE].cpu_us)
    print(f"\n{name}: {calls} calls x {rounds} rounds, medians")
    print(
        f"  {'contender':28s} {'CPU/call':>10s} {'vs urllib3':>10s} {'calls/s':>9s}"
        f" {'conns':>6s} {'errors':>6s} {'peak mem':>9s}"
    )
    for contender, s in samples.items():
        if s.skipped:
            print(f"  {contender:28s} {'n/a: ' + s.skipped:>52s}")
            continue
        cpu, rate = statistics.median(s.cpu_us), statistics.median(s.calls_per_s)
        peak = f"{s.peak_kib:.0f} KiB" if s.peak_kib is not None else "-"
        print(
            f"  {contender:28s} {cpu:8.1f}us {cpu / base:9.2f}x {rate:9.0f}"
            f" {max(s.connections):6d} {sum(s.errors):6d} {peak:>9s}"
        )


IMPORT_PROBE = """
import os, time
def rss():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
before, started = rss(), time.perf_counter()
import {module}
print(time.perf_counter() - started, rss() - before)
"""


def import_costs(runs: int) -> None:
    """Median import time and resident memory added by each import, in fresh interpreters.

    The modules take turns within each run, so that a slow moment hits them all alike.
    """
    modules = ("urllib3", "apiclient", "requests", "httpx")
    samples: dict[str, tuple[list[float], list[float]]] = {m: ([], []) for m in modules}
    compile_once(*(f"import {module}" for module in modules))
    for _ in range(runs):
        for module in modules:
            out = fresh_interpreter(IMPORT_PROBE.format(module=module)).split()
            samples[module][0].append(float(out[0]))
            samples[module][1].append(float(out[1]))
    print(f"\nimport cost: median of {runs} fresh interpreters each")
    base_time, base_rss = (statistics.median(v) for v in samples["urllib3"])
    for module in modules:
        seconds, rss = (statistics.median(v) for v in samples[module])
        print(
            f"  import {module:10s} {seconds * 1e3:6.1f} ms {seconds / base_time:5.2f}x"
            f"   RSS +{rss / 2**20:5.1f} MiB {rss / base_rss:5.2f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--import-runs", type=int, default=15)
    args = parser.parse_args()
    if not OLD_APICLIENT.exists():
        del CONTENDERS["apiclient 1.0.4 (PyPI)"]
        print("(apiclient 1.0.4 not installed in bench/.contenders: `make bench` installs it)")
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("apiclient").setLevel(logging.INFO)
    # Raw urllib3's default pool keeps 1 connection per host; with 8 threads it warns on
    # every extra one. The connections column shows the effect; the warnings are noise.
    logging.getLogger("urllib3").setLevel(logging.ERROR)
    server = LoopbackServer()
    try:
        results = bench(server, args.calls, args.rounds)
        for name, samples in results.items():
            print_table(name, samples, args.calls, args.rounds)
        growing.transfers(server.url, args.rounds)  # 1 MB bodies, 1,000 pages
    finally:
        server.stop()
    import_costs(args.import_runs)
    growing.first_client(args.import_runs)
    growing.acquire_costs(args.rounds)


if __name__ == "__main__":
    main()
