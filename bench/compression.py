"""CPU per GET + JSON with a compressed body (gzip, br, zstd) against the same body plain.

Usage: .venv/bin/python bench/compression.py [--calls 300] [--rounds 7]

A ``FakeServer`` in this process serves the same JSON (about 1 KB and 100 KB) as gzip, br
and zstd (when apiclient[compression] is installed) and as identity; the client's CPU time
per call is measured in alternating rounds (the server's work is counted too, the same for
all but the compression it does not do: the compressed bodies are made once). On loopback
compression can only cost; over a network it saves the transfer, which is what the default
(compress=True) is for.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import time
from collections.abc import Callable

from apiclient import APIClient
from apiclient.testing import FakeServer, Reply


def _compressors() -> dict[str, Callable[[bytes], bytes]]:
    found: dict[str, Callable[[bytes], bytes]] = {"gzip": gzip.compress}
    try:
        import brotli

        found["br"] = brotli.compress
    except ImportError:
        pass
    try:
        from backports import zstd

        found["zstd"] = zstd.compress
    except ImportError:
        pass
    return found


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
            packed_sizes = []
            for coding, compress in _compressors().items():
                packed = compress(body)
                packed_sizes.append(f"{coding} {len(packed) / 1000:.1f} KB")
                server.add(f"GET /{coding}{size}", Reply(body=packed, headers={
                    "Content-Type": "application/json", "Content-Encoding": coding}))  # fmt: skip
            api = APIClient(base_url=server.url)
            kinds = ["plain", *_compressors()]
            costs: dict[str, list[float]] = {kind: [] for kind in kinds}
            for round_ in range(args.rounds):
                for kind in kinds if round_ % 2 else reversed(kinds):
                    started = time.process_time()
                    for _ in range(args.calls):
                        api.get(f"/{kind}{size}")
                    costs[kind].append((time.process_time() - started) / args.calls * 1e6)
            print(f"{len(body) / 1000:6.1f} KB JSON ({', '.join(packed_sizes)}): "
                  f"plain {statistics.median(costs['plain']):7.1f} us per call")  # fmt: skip
            for kind in kinds[1:]:
                ratios = [c / p for c, p in zip(costs[kind], costs["plain"], strict=True)]
                spread = f"({min(ratios):.2f}-{max(ratios):.2f})"
                print(f"  {kind:5s} {statistics.median(costs[kind]):7.1f} us per call; "
                      f"ratio {statistics.median(ratios):.2f}x {spread}")  # fmt: skip
            api.close()


if __name__ == "__main__":
    main()
