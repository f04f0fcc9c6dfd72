"""Rate limiters side by side, in one run: cost, accuracy under threads, and Redis round trips.

Usage: .venv/bin/python bench/ratelimit.py [--seconds 10] [--redis-url redis://127.0.0.1:6379/0]
                                           [--against REV] [--only versions|buckets|...]

Needs `pip install -e '.[bench]'`. Without --redis-url a redis-server is started on a free
loopback port if one is installed. Contenders: apiclient's RateLimiter / RedisRateLimiter,
pyrate-limiter, limits (moving window) and a plain lock+deque sliding log.

- cost: median microseconds of one uncontended acquire (limit never reached).
- accuracy: 8 threads acquire as fast as allowed for --seconds under "10 per second";
  grant times are recorded by the callers right after acquire returns, as users measure
  them. Reports the worst 1-second window and the share of the allowed rate achieved
  (one period divided by the mean time from grant i to grant i + N).
- redis: grants per second and Redis commands per grant, uncontended and with 8 threads
  blocked on "50 per second".
- fleet: Redis commands per grant (counted by the server) with 8 processes x 2 threads
  blocked on one key, for this checkout, ``--against`` and the other libraries.
- versions: this checkout's uncontended ``RateLimiter.acquire`` against ``--against`` (a
  git revision, checked out as a worktree; default: the commit before per-route buckets,
  pacing and concurrency limits), in alternating child processes: the ratio per round.
- buckets: GET + JSON CPU per call of a client with per-route buckets (three patterns,
  the request matching the last) against one with a single limiter, in alternating child
  processes against the same loopback server.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from pathlib import Path

import limits
import limits.storage
import limits.strategies
import pyrate_limiter as pyrate
import redis

from apiclient import RateLimiter, RedisRateLimiter

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loopback_server import LoopbackServer
from rounds import rotated, round_ratios
from versions import worktree

Acquire = Callable[[], object]
#: The last commit before issue 23 (buckets, pacing, concurrency limits): "today's" limiter.
BEFORE_BUCKETS = "5728d37"

ACQUIRE_CHILD = """
import json, statistics, sys, time
sys.path.insert(0, sys.argv[1])
from apiclient import RateLimiter
acquire = RateLimiter(10**9, 1).acquire
calls = int(sys.argv[2])
for _ in range(10_000):
    acquire()
if sys.argv[3:] == ["count"]:  # under callgrind: the calls alone, counted from outside
    for _ in range(calls):
        acquire()
    raise SystemExit
samples = []
for _ in range(5):
    started = time.perf_counter()
    for _ in range(calls):
        acquire()
    samples.append((time.perf_counter() - started) / calls)
print(json.dumps(statistics.median(samples)))
"""

BUCKET_CHILD = """
import json, sys, time
from apiclient import APIClient, RateLimiter
url, calls, kind = sys.argv[1], int(sys.argv[2]), sys.argv[3]
big = 10**9
if kind == "bucketed":
    api = APIClient(base_url=url, rate_limits={
        "/search/*": RateLimiter(big, 1), "POST /repos/*": RateLimiter(big, 1),
        "*": RateLimiter(big, 1),
    })
else:
    api = APIClient(RateLimiter(big, 1), base_url=url)
for _ in range(500):
    api.get("/repos/a/b")
if sys.argv[4:] == ["count"]:
    for _ in range(calls):
        api.get("/repos/a/b")
    raise SystemExit
started = time.process_time()
for _ in range(calls):
    api.get("/repos/a/b")
print(json.dumps((time.process_time() - started) / calls))
"""


class DequeLimiter:
    """The 30-line baseline: lock + deque sliding log, sleep outside the lock."""

    def __init__(self, limit: int, period: float) -> None:
        self.limit, self.period = limit, period
        self.log: deque[float] = deque()
        self.lock = threading.Lock()

    def acquire(self) -> None:
        while True:
            with self.lock:
                now = time.monotonic()
                while self.log and self.log[0] <= now - self.period:
                    self.log.popleft()
                if len(self.log) < self.limit:
                    self.log.append(now)
                    return
                wait = self.log[0] + self.period - now
            time.sleep(wait)


def limits_blocking(
    storage: limits.storage.Storage, limit: int, period: int, key: str | None = None
) -> Acquire:
    strategy = limits.strategies.MovingWindowRateLimiter(storage)
    item = limits.RateLimitItemPerSecond(limit, period)
    key = key or uuid.uuid4().hex

    def acquire() -> None:
        while not strategy.hit(item, key):
            time.sleep(0.001)

    return acquire


def pyrate_blocking(limit: int, period_ms: int, bucket: object | None = None) -> Acquire:
    rate = pyrate.Rate(limit, period_ms)
    limiter = pyrate.Limiter(bucket if bucket is not None else rate)  # type: ignore[arg-type]
    key = uuid.uuid4().hex
    return lambda: limiter.try_acquire(key, blocking=True)


def median_cost_us(acquire: Acquire, calls: int = 20000, rounds: int = 5) -> float:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(calls):
            acquire()
        samples.append((time.perf_counter() - started) / calls * 1e6)
    return statistics.median(samples)


def accuracy(acquire: Acquire, seconds: float, limit: int, period: float) -> tuple[int, float]:
    seen: list[float] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def worker() -> None:
        while time.monotonic() < stop:
            acquire()
            now = time.monotonic()
            with lock:
                seen.append(now)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seen.sort()
    worst = max(
        sum(1 for t in seen[i : i + limit * 3] if t < start + period)
        for i, start in enumerate(seen)
    )
    # Achieved rate: ideally grant i + N comes exactly one period after grant i.
    spans = [later - earlier for earlier, later in zip(seen, seen[limit:], strict=False)]
    return worst, period / statistics.mean(spans)


class RoundTrips:
    """Count the packets redis-py sends (a pipeline is one): round trips to Redis.

    A new connection's own set-up (HELLO, CLIENT SETINFO, AUTH, SELECT) is not counted: it
    is paid once per connection, not per grant.
    """

    count = 0
    lock = threading.Lock()
    SETUP = (b"HELLO", b"CLIENT", b"AUTH", b"SELECT")

    @classmethod
    def install(cls) -> None:
        original = redis.connection.AbstractConnection.send_packed_command

        def counted(
            self: redis.connection.AbstractConnection, *args: object, **kwargs: object
        ) -> object:
            packed = args[0]
            head = b"".join(packed[:1]) if isinstance(packed, list) else packed
            if not any(word in bytes(head)[:40] for word in cls.SETUP):  # type: ignore[arg-type]
                with cls.lock:
                    cls.count += 1
            return original(self, *args, **kwargs)  # type: ignore[no-untyped-call]

        redis.connection.AbstractConnection.send_packed_command = counted  # type: ignore[method-assign]


def redis_commands(client: redis.Redis) -> int:
    return RoundTrips.count


def redis_round(
    client: redis.Redis, acquire: Acquire, grants: int, threads: int
) -> tuple[float, float]:
    per_thread = grants // threads
    before = redis_commands(client)
    started = time.perf_counter()
    workers = [
        threading.Thread(target=lambda: [acquire() for _ in range(per_thread)])
        for _ in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    total = per_thread * threads
    return total / elapsed, (redis_commands(client) - before) / total


def start_redis() -> tuple[subprocess.Popen[str], str] | None:
    binary = shutil.which("redis-server")
    if binary is None:
        return None
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--dir",
            tempfile.mkdtemp(),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:
        if "Ready to accept connections" in line:
            return process, f"redis://127.0.0.1:{port}/0"
    raise RuntimeError("redis-server did not start")


def child(code: str, *args: str) -> float:
    out = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True,
        timeout=600,
    ).stdout  # fmt: skip
    return float(json.loads(out))


def instructions_per_call(code: str, calls: int, *args: str) -> float:
    """Instructions per call of ``code``'s loop, counted by callgrind (``calls`` and none)."""

    def count(n: int) -> int:
        result = subprocess.run(
            ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
             "-c", code, *args[:1], str(n), *args[1:], "count"],
            capture_output=True, text=True, check=True, timeout=1800,
            env={**os.environ, "PYTHONHASHSEED": "0"},
        )  # fmt: skip
        return int(re.findall(r"Collected : (\d+)", result.stderr)[-1])

    return (count(calls) - count(0)) / calls


def counted(against: str) -> None:
    """Both comparisons as instruction counts (repeatable within ~0.5% on a busy machine)."""
    src = str(Path(__file__).resolve().parent.parent / "src")
    now = instructions_per_call(ACQUIRE_CHILD, 20_000, src)
    before = instructions_per_call(ACQUIRE_CHILD, 20_000, str(worktree(against) / "src"))
    print(f"\nUncontended acquire, instructions per call: this checkout against {against}")
    print(f"  now: {now:8.0f}  before: {before:8.0f}  ratio: {now / before:.3f}x")
    server = LoopbackServer()
    try:
        bucketed = instructions_per_call(BUCKET_CHILD, 300, server.url, "bucketed")
        single = instructions_per_call(BUCKET_CHILD, 300, server.url, "single")
    finally:
        server.stop()
    print("GET + JSON, instructions per call: three route buckets against one limiter")
    print(f"  bucketed: {bucketed / 1e3:7.1f}k  one limiter: {single / 1e3:7.1f}k  "
          f"ratio: {bucketed / single:.3f}x")  # fmt: skip


def versions(against: str, rounds: int = 7, calls: int = 200_000) -> None:
    """This checkout's uncontended acquire against ``against``'s, in alternating children."""
    sources = {"now": str(Path(__file__).resolve().parent.parent / "src"),
               "before": str(worktree(against) / "src")}  # fmt: skip
    times: dict[str, list[float]] = {"now": [], "before": []}
    for number in range(rounds):
        for name in rotated(list(sources), number):
            times[name].append(child(ACQUIRE_CHILD, sources[name], str(calls)))
    title = f"Uncontended RateLimiter.acquire: this checkout against {against}, {rounds} rounds"
    report(title, times, "us per call")


def report(title: str, times: dict[str, list[float]], unit: str) -> None:
    """Each contender's median, then the first's ratio to the second per round."""
    first, second = times.values()
    ratios = round_ratios(first, second)
    print(f"\n{title}")
    for name, values in times.items():
        print(f"  {name:>12}: {statistics.median(values) * 1e6:7.3f} {unit} (median)")
    print(f"  ratio: {statistics.median(ratios):.3f}x median "
          f"({min(ratios):.3f}-{max(ratios):.3f} over rounds)")  # fmt: skip


def buckets(rounds: int = 9, calls: int = 5_000) -> None:
    """GET + JSON CPU per call, per-route buckets against one limiter, alternating children."""
    server = LoopbackServer()
    times: dict[str, list[float]] = {"bucketed": [], "one limiter": []}
    try:
        for number in range(rounds):
            for name in rotated(list(times), number):
                kind = "bucketed" if name == "bucketed" else "single"
                times[name].append(child(BUCKET_CHILD, server.url, str(calls), kind))
    finally:
        server.stop()
    title = f"GET + JSON, CPU per call: three route buckets against one limiter, {rounds} rounds"
    report(title, times, "us")


FLEET_CHILD = """
import json, sys, threading
kind, src, bench, url, key, limit, per_thread = sys.argv[1:]
sys.path[:0] = [src, bench]  # this apiclient first; bench/ for the contenders' wrappers
import limits.storage
import pyrate_limiter as pyrate
import redis
from apiclient import RedisRateLimiter
from ratelimit import RoundTrips, limits_blocking, pyrate_blocking
if kind == "apiclient":
    acquire = RedisRateLimiter(url, key=key, max_messages=int(limit), every_seconds=1).acquire
elif kind == "pyrate":
    rates = [pyrate.Rate(int(limit), 1000)]
    bucket = pyrate.RedisBucket.init(rates, redis.Redis.from_url(url), key)
    acquire = pyrate_blocking(int(limit), 1000, bucket)
else:
    acquire = limits_blocking(limits.storage.RedisStorage(url), int(limit), 1, key)
RoundTrips.install()
sys.stdin.readline()
before = RoundTrips.count
threads = [threading.Thread(target=lambda: [acquire() for _ in range(int(per_thread))])
           for _ in range(2)]
[t.start() for t in threads]
[t.join() for t in threads]
print(json.dumps(RoundTrips.count - before))
"""


def fleet(
    url: str, against: str, processes: int = 8, limit: int = 20, per_thread: int = 10
) -> None:
    """Redis commands per grant, 8 processes x 2 threads blocked on one key (server-counted)."""
    here = Path(__file__).resolve().parent
    contenders = {
        "apiclient RedisRateLimiter": ("apiclient", str(here.parent / "src")),
        f"apiclient at {against}": ("apiclient", str(worktree(against) / "src")),
        "pyrate-limiter 4 RedisBucket": ("pyrate", str(here)),
        "limits moving window (Redis)": ("limits", str(here)),
    }
    grants = processes * 2 * per_thread
    print(f"\nRedis fleet: {processes} processes x 2 threads, {grants} grants at {limit}/s on "
          "one key; round trips per grant, per blocked grant (first window excluded)")  # fmt: skip
    for name, (kind, src) in contenders.items():
        key = uuid.uuid4().hex
        workers = [
            subprocess.Popen(
                [sys.executable, "-c", FLEET_CHILD, kind, src, str(here), url, key, str(limit),
                 str(per_thread)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            )
            for _ in range(processes)
        ]  # fmt: skip
        for worker in workers:  # each starts once it has read "go": all at once
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
        trips = sum(int(json.loads(worker.communicate(timeout=600)[0])) for worker in workers)
        blocked = (trips - limit) / (grants - limit)
        print(f"  {name:34s} {trips / grants:6.2f} per grant, {blocked:6.2f} per blocked grant")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--redis-url")
    parser.add_argument("--against", default=BEFORE_BUCKETS)
    parser.add_argument("--only", choices=["versions", "buckets", "instructions", "fleet"])
    args = parser.parse_args()
    if args.only == "instructions":  # (needs valgrind)
        counted(args.against)
        return
    if args.only == "versions":
        versions(args.against)
        return
    if args.only == "buckets":
        buckets()
        return
    if args.only == "fleet":
        started = None if args.redis_url else start_redis()
        assert args.redis_url or started, "no redis-server and no --redis-url"
        fleet(args.redis_url or started[1], args.against)  # type: ignore[index]
        if started:
            started[0].terminate()
        return

    print("Uncontended acquire, median us per call (limit never reached)")
    big = 10**9
    costs: dict[str, Acquire] = {
        "apiclient RateLimiter": RateLimiter(big, 1).acquire,
        "lock+deque baseline": DequeLimiter(big, 1).acquire,
        "pyrate-limiter 4 (in memory)": pyrate_blocking(big, 1000),
        "limits moving window (memory)": limits_blocking(limits.storage.MemoryStorage(), big, 1),
    }
    for name, acquire in costs.items():
        calls = 5000 if "limits" in name else 20000  # limits' moving window is O(n)
        print(f"  {name:34s} {median_cost_us(acquire, calls=calls):8.2f}")
    versions(args.against)
    buckets()

    print(
        f"\nAccuracy: 8 threads for {args.seconds:g}s at 10 per second (callers record grant times)"
    )
    print(f"  {'':34s} {'worst 1s window':>16s} {'of allowed rate':>16s}")
    contenders: dict[str, Acquire] = {
        "apiclient RateLimiter": RateLimiter(10, 1).acquire,
        "lock+deque baseline": DequeLimiter(10, 1).acquire,
        "pyrate-limiter 4 (in memory)": pyrate_blocking(10, 1000),
        "limits moving window (memory)": limits_blocking(limits.storage.MemoryStorage(), 10, 1),
    }
    for name, acquire in contenders.items():
        worst, share = accuracy(acquire, args.seconds, 10, 1.0)
        print(f"  {name:34s} {worst:16d} {share:16.1%}")

    started = None if args.redis_url else start_redis()
    url = args.redis_url or (started[1] if started else None)
    if url is None:
        print("\nRedis: skipped (no redis-server and no --redis-url)")
        return
    client = redis.Redis.from_url(url)
    RoundTrips.install()
    print("\nRedis, same host: grants per second and round trips per grant")
    print(f"  {'':34s} {'uncontended':>20s} {'8 threads blocked':>20s}")
    makers: dict[str, Callable[[int], Acquire]] = {
        "apiclient RedisRateLimiter": lambda n: (
            RedisRateLimiter(url, key=uuid.uuid4().hex, max_messages=n, every_seconds=1).acquire
        ),
        "pyrate-limiter 4 RedisBucket": lambda n: pyrate_blocking(
            n, 1000, pyrate.RedisBucket.init([pyrate.Rate(n, 1000)], client, uuid.uuid4().hex)
        ),
        "limits moving window (Redis)": lambda n: limits_blocking(
            limits.storage.RedisStorage(url), n, 1
        ),
    }
    for name, make in makers.items():
        fast = redis_round(client, make(10**9), 2000, 1)
        blocked = redis_round(client, make(50), 150, 8)
        fast_text = f"{fast[0]:9.0f}/s {fast[1]:5.2f} rt"
        print(f"  {name:34s} {fast_text}  {blocked[0]:9.0f}/s {blocked[1]:5.2f} rt")

    print(
        f"\nRedis accuracy: 8 threads for {args.seconds:g}s at 10 per second (callers record times)"
    )
    for name, acquire in {
        "apiclient RedisRateLimiter": RedisRateLimiter(
            url, key=uuid.uuid4().hex, max_messages=10
        ).acquire,
        "pyrate-limiter 4 RedisBucket": pyrate_blocking(
            10, 1000, pyrate.RedisBucket.init([pyrate.Rate(10, 1000)], client, uuid.uuid4().hex)
        ),
        "limits moving window (Redis)": limits_blocking(limits.storage.RedisStorage(url), 10, 1),
    }.items():
        worst, share = accuracy(acquire, args.seconds, 10, 1.0)
        print(f"  {name:34s} {worst:16d} {share:16.1%}")
    fleet(url, args.against)
    if started:
        started[0].terminate()


if __name__ == "__main__":
    main()
