"""This checkout against an earlier revision of apiclient, side by side in one run.

Usage: .venv/bin/python bench/versions.py REV [--calls N] [--rounds R] [--workload W]
       .venv/bin/python bench/versions.py REV --instructions [--calls N]  (needs valgrind)

Answers "did this change make the common call slower?" with a ratio measured in one run:
``REV`` (a commit, tag or branch) is checked out as a git worktree under
``bench/.contenders/rev-<sha>``; each round runs one child process per version (in an
order that alternates), each child makes ``--calls`` calls against the same keep-alive
loopback server (another process) and reports its CPU time per call. The table shows the
per-round ratio of this checkout to ``REV``: the median, and the lowest and highest.

Workloads: ``get`` (GET + JSON decoding, no model), ``post`` (a JSON POST), ``model``
(GET into a dataclass; only this checkout has ``model=`` before issue 21, so it is
reported against the plain GET of both).

On a busy machine CPU time wanders by 10% and more from round to round; with
``--instructions`` each version runs under ``valgrind --tool=callgrind`` instead, with
``--calls`` calls and with none, and the difference per call is compared: instruction
counts repeat within about 0.5% (the hash seed is fixed), whatever else the machine does.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loopback_server import LoopbackServer
from rounds import rotated, round_ratios

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

CHILD = """
import dataclasses, json, sys, time
sys.path.insert(0, sys.argv[1])
from apiclient import APIClient

@dataclasses.dataclass
class Item:
    id: int
    name: str
    tags: list[str]
    price: float
    stock: dict[str, int]

url, calls, workload = sys.argv[2], int(sys.argv[3]), sys.argv[4]
if len(sys.argv) > 5 and sys.argv[5] == "nogc":
    import gc; gc.disable()
api = APIClient(base_url=url)
if workload == "post":
    call = lambda: api.post("/item", json={"name": "widget", "tags": ["a", "b"], "price": 9.5})
elif workload == "model":
    call = lambda: api.get("/item", model=Item)
else:
    call = lambda: api.get("/item")
for _ in range(500):
    call()
start = time.process_time()
for _ in range(calls):
    call()
print(json.dumps((time.process_time() - start) / max(calls, 1)))
"""


def worktree(revision: str) -> Path:
    """A checkout of ``revision`` (made once, then reused)."""
    sha = subprocess.run(
        ["git", "rev-parse", "--short", revision], cwd=ROOT, capture_output=True, text=True,
        check=True,
    ).stdout.strip()  # fmt: skip
    path = HERE / ".contenders" / f"rev-{sha}"
    if not path.exists():
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(path), sha], cwd=ROOT, check=True,
            capture_output=True,
        )  # fmt: skip
    return path


def instructions(src: Path, url: str, calls: int, workload: str) -> float:
    """Instructions per call of the apiclient in ``src``, counted by callgrind."""

    def count(n: int) -> int:
        result = subprocess.run(
            ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
             "-c", CHILD, str(src), url, str(n), workload, os.environ.get("BENCH_GC", "")],
            capture_output=True, text=True, check=True, timeout=1800,
            env={**os.environ, "PYTHONHASHSEED": "0"},
        )  # fmt: skip
        return int(re.findall(r"Collected : (\d+)", result.stderr)[-1])

    return (count(calls) - count(0)) / calls


def measure(src: Path, url: str, calls: int, workload: str) -> float:
    """CPU seconds per call of the apiclient in ``src``, in a fresh interpreter."""
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(src), url, str(calls), workload],
        capture_output=True, text=True, check=True, timeout=600,
    ).stdout  # fmt: skip
    return float(json.loads(out))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("revision")
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--workload", choices=["get", "post", "model"], default="get")
    parser.add_argument("--instructions", action="store_true", help="count, do not time")
    args = parser.parse_args()
    before = worktree(args.revision) / "src"
    now = ROOT / "src"
    server = LoopbackServer()
    times: dict[str, list[float]] = {"before": [], "now": []}
    runs = {
        "before": (before, "get" if args.workload == "model" else args.workload),
        "now": (now, args.workload),
    }
    if args.instructions:
        try:
            counted = {name: instructions(src, server.url, args.calls, w)
                       for name, (src, w) in runs.items()}  # fmt: skip
        finally:
            server.stop()
        print(f"{args.workload}: instructions per call, this checkout against {args.revision}")
        for name, value in counted.items():
            print(f"  {name:>6}: {value / 1e3:8.1f}k")
        print(f"  ratio: {counted['now'] / counted['before']:.3f}x")
        return 0
    try:
        for number in range(args.rounds):
            for name in rotated(list(runs), number):
                src, workload = runs[name]
                times[name].append(measure(src, server.url, args.calls, workload))
    finally:
        server.stop()
    ratios = round_ratios(times["now"], times["before"])
    print(f"{args.workload}: this checkout against {args.revision}, {args.rounds} rounds x "
          f"{args.calls} calls, {time.strftime('%Y-%m-%d %H:%M')}")  # fmt: skip
    for name, values in times.items():
        print(f"  {name:>6}: {statistics.median(values) * 1e6:7.2f} us CPU per call (median)")
    print(
        f"  ratio: {statistics.median(ratios):.3f}x median "
        f"({min(ratios):.3f}-{max(ratios):.3f} over rounds)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
