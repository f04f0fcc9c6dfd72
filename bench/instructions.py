"""Instructions per GET+JSON call, apiclient vs raw urllib3: a ratio without timing noise.

Usage: .venv/bin/python bench/instructions.py [calls]      (needs valgrind)

Runs each contender under ``valgrind --tool=callgrind`` twice, with ``calls`` calls and with
none, and divides the difference by ``calls``: start-up and imports cancel out. Only the
client process is counted (the server runs in a child, which callgrind reports apart).
Instruction counts repeat exactly for the same code and input, whatever else the machine
is doing, so they show small changes that CPU time on a noisy machine hides.
"""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loopback_server import LoopbackServer


def run(contender: str, calls: int) -> None:
    """The measured program: warm up, then ``calls`` calls of ``contender``."""
    import urllib3

    from apiclient import APIClient

    logging.getLogger("apiclient").setLevel(logging.INFO)
    server = LoopbackServer()
    pool = urllib3.PoolManager()
    api = APIClient(base_url=server.url)
    url = server.url + "item"
    calls_by_name = {
        "raw urllib3 PoolManager + json.loads": lambda: json.loads(pool.request("GET", url).data),
        "apiclient APIClient.get": lambda: api.get("/item"),
    }
    call = calls_by_name[contender]
    call()
    call()
    for _ in range(calls):
        call()
    server.stop()


def instructions(contender: str, calls: int) -> int:
    """Instructions of the client process (the largest of the processes callgrind reports)."""
    result = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            __file__,
            "--run",
            contender,
            str(calls),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    counts = [int(n) for n in re.findall(r"Collected : (\d+)", result.stderr)]
    return max(counts)


def main() -> None:
    if sys.argv[1:2] == ["--run"]:
        run(sys.argv[2], int(sys.argv[3]))
        return
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    per_call = {}
    for contender in ("raw urllib3 PoolManager + json.loads", "apiclient APIClient.get"):
        per_call[contender] = (instructions(contender, calls) - instructions(contender, 0)) / calls
    base = per_call["raw urllib3 PoolManager + json.loads"]
    print(f"instructions per GET+JSON call ({calls} calls, callgrind)")
    for contender, count in per_call.items():
        print(f"  {contender:40s} {count / 1000:8.1f}k  {count / base:5.2f}x")


if __name__ == "__main__":
    main()
