"""CurlTransport over HTTP/2 against HTTP/1.1, on one TLS server (hypercorn), in one run.

Usage: .venv/bin/python bench/http2.py [--calls N] [--rounds R]

hypercorn runs in another process and offers both protocols (ALPN), with room for 200
streams on a connection and no cap on the requests a connection may carry. For each protocol, a
fresh client makes ``--calls`` calls from one thread, then 100 threads make 100 calls at
once each round: client CPU per call (median of rounds, and the per-round ratio of
HTTP/2 to HTTP/1.1) and the connections the server saw, counted by its client ports.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import trustme

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rounds import paired_ratio, rotated

from apiclient import APIClient
from apiclient.transports.curl import CurlTransport

HERE = Path(__file__).resolve().parent


def start_server(directory: Path) -> tuple[subprocess.Popen[bytes], str, str]:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    ca_file, cert_file, key_file = directory / "ca.pem", directory / "c.pem", directory / "k.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    cert.cert_chain_pems[0].write_to_path(str(cert_file))
    cert.private_key_pem.write_to_path(str(key_file))
    config = directory / "hypercorn.toml"  # room for all 100 calls on one connection
    config.write_text("h2_max_concurrent_streams = 200\nkeep_alive_max_requests = 1000000\n")
    with socket.socket() as probe:  # a free port (the bench, not the tests: a race is fine)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "hypercorn", "--config", str(config),
         "--bind", f"127.0.0.1:{port}", "--certfile", str(cert_file),
         "--keyfile", str(key_file), "h2_app:app"],
        cwd=HERE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(100):
        with socket.socket() as attempt:
            if attempt.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.05)
    return server, f"https://127.0.0.1:{port}/", str(ca_file)


def connections(url: str, ca_file: str) -> int:
    import ssl

    context = ssl.create_default_context(cafile=ca_file)
    with urllib.request.urlopen(url + "stats", context=context) as answer:
        return int(json.loads(answer.read())["connections"])


def measure(url: str, ca_file: str, http2: bool, calls: int) -> tuple[float, float, int]:
    """CPU per call sequential, CPU per call with 100 threads, connections opened."""
    before = connections(url, ca_file)
    api = APIClient(base_url=url, transport=CurlTransport(http2=http2, ca_certs=ca_file,
                                                          pool_maxsize=100))  # fmt: skip
    api.get("/warm")
    started = time.process_time()
    for _ in range(calls):
        api.get("/item")
    sequential = (time.process_time() - started) / calls * 1e6
    barrier = threading.Barrier(100)

    def burst(_: int) -> None:
        barrier.wait()
        for _ in range(100):
            api.get("/item")

    started = time.process_time()
    with ThreadPoolExecutor(100) as pool:
        list(pool.map(burst, range(100)))
    concurrent = (time.process_time() - started) / 10_000 * 1e6
    api.close()
    return sequential, concurrent, connections(url, ca_file) - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        server, url, ca_file = start_server(Path(directory))
        try:
            results: dict[str, list[tuple[float, float, int]]] = {"HTTP/1.1": [], "HTTP/2": []}
            for number in range(args.rounds):
                for name in rotated(list(results), number):
                    results[name].append(measure(url, ca_file, name == "HTTP/2", args.calls))
        finally:
            server.terminate()
            server.wait()
    print(f"CurlTransport over TLS to hypercorn, median of {args.rounds} rounds")
    print(f"  {'':9s} {'1 thread':>12s} {'100 threads':>14s} {'connections (100 threads)':>27s}")
    base_seq = [r[0] for r in results["HTTP/1.1"]]
    base_con = [r[1] for r in results["HTTP/1.1"]]
    for name, rows in results.items():
        seq, con = [r[0] for r in rows], [r[1] for r in rows]
        print(f"  {name:9s} {statistics.median(seq):7.1f} us {paired_ratio(seq, base_seq):4.2f}x"
              f" {statistics.median(con):7.1f} us {paired_ratio(con, base_con):4.2f}x"
              f" {max(r[2] for r in rows):10d}")  # fmt: skip


if __name__ == "__main__":
    main()
