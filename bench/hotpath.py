"""Client CPU per GET+JSON call: apiclient vs raw urllib3, side by side in one run.

Usage: .venv/bin/python bench/hotpath.py [calls_per_round] [rounds]

The server runs in a separate process so that ``time.process_time()`` in this process counts
only the client's CPU. Contenders alternate within each round; the table shows medians and
the ratio to raw ``urllib3.PoolManager().request()`` + ``json.loads``.
"""

from __future__ import annotations

import json
import multiprocessing
import statistics
import sys
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BODY = json.dumps({"id": 1, "name": "widget", "tags": ["a", "b"], "price": 9.5}).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)

    def setup(self) -> None:
        import socket

        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, *args: object) -> None:
        pass


class Server(ThreadingHTTPServer):
    request_queue_size = 1024  # 100 clients connecting at once must not overflow the backlog
    daemon_threads = True


def serve(port_queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    server = Server(("127.0.0.1", 0), Handler)
    port_queue.put(server.server_address[1])
    server.serve_forever()


def measure(call: Callable[[], object], calls: int) -> float:
    call()  # warm: connection open, caches filled
    started = time.process_time()
    for _ in range(calls):
        call()
    return (time.process_time() - started) / calls * 1e6


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    process = multiprocessing.Process(target=serve, args=(queue,), daemon=True)
    process.start()
    url = f"http://127.0.0.1:{queue.get()}/item"

    import urllib3

    from apiclient import APIClient

    pool = urllib3.PoolManager()
    api = APIClient(base_url=url.rsplit("/", 1)[0] + "/")

    contenders: dict[str, Callable[[], object]] = {
        "raw urllib3 PoolManager + json.loads": lambda: json.loads(pool.request("GET", url).data),
        "apiclient APIClient.get": lambda: api.get("/item"),
    }
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, call in contenders.items():
            samples[name].append(measure(call, calls))
    baseline = statistics.median(samples["raw urllib3 PoolManager + json.loads"])
    print(f"{calls} calls x {rounds} rounds, median client CPU per call")
    for name, values in samples.items():
        median = statistics.median(values)
        print(f"  {name:40s} {median:8.1f} us  {median / baseline:5.2f}x")
    process.terminate()


if __name__ == "__main__":
    main()
