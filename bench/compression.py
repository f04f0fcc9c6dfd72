"""CPU per GET + JSON with a compressed body against the same body uncompressed, in one run.

Usage: .venv/bin/python bench/compression.py [--calls 300] [--rounds 7]

A ``FakeServer`` in this process serves the same JSON (about 1 KB and 100 KB) as gzip and as
identity; the client's CPU time per call is measured in alternating rounds (the server's
work is counted too, the same for both except the compression it does not do: the gzip
body is made once). On loopback compression can only cost; over a network it saves the
transfer, which is what the default (compress=True) is for.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import time

from apiclient import APIClient
from apiclient.testing import FakeServer, Reply


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    with FakeServer() as server:
        for size in (1_000, 100_000):
            items = [{"id": n, "name": f"item {n}", "tags": ["a", "b"]} for n in range(size // 40)]
            body = json.dumps(items).encode()
            server.add(
                f"GET /plain{size}", Reply(body=body, headers={"Content-Type": "application/json"})
            )
            server.add(f"GET /gzip{size}", Reply(body=gzip.compress(body), headers={
                "Content-Type": "application/json", "Content-Encoding": "gzip"}))  # fmt: skip
            api = APIClient(base_url=server.url)
            costs: dict[str, list[float]] = {"gzip": [], "plain": []}
            for round_ in range(args.rounds):
                for kind in ("gzip", "plain") if round_ % 2 else ("plain", "gzip"):
                    started = time.process_time()
                    for _ in range(args.calls):
                        api.get(f"/{kind}{size}")
                    costs[kind].append((time.process_time() - started) / args.calls * 1e6)
            ratios = [g / p for g, p in zip(costs["gzip"], costs["plain"], strict=True)]
            plain, packed = statistics.median(costs["plain"]), statistics.median(costs["gzip"])
            packed_kb = len(gzip.compress(body)) / 1000
            sizes = f"{len(body) / 1000:6.1f} KB JSON ({packed_kb:.1f} KB gzip)"
            spread = f"({min(ratios):.2f}-{max(ratios):.2f})"
            print(f"{sizes}: plain {plain:7.1f} us, gzip {packed:7.1f} us per call; "
                  f"ratio {statistics.median(ratios):.2f}x {spread}")  # fmt: skip
            api.close()


if __name__ == "__main__":
    main()
