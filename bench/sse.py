"""Server-Sent Events parsed per second: ``api.events()`` against a naive loop on raw urllib3.

Usage: .venv/bin/python bench/sse.py [--events 50000] [--rounds 7]

A server in another process sends ``--events`` events of 100 bytes (``id:`` and ``data:``
lines) in one response. Contenders, alternating in one run, each timed by the CPU time of
this process:

- apiclient: ``for event in api.events("GET", "/")`` (every WHATWG rule: CR/LF/CRLF,
  comments, ids, UTF-8, bounded lines and events);
- naive: what a hand-written client does: urllib3 ``PoolManager`` with
  ``preload_content=False``, chunks split on LF, each line decoded, ``data:``, ``id:`` and
  ``event:`` read, an event dict yielded on each empty line (LF only, no limits, a UTF-8
  character split across reads breaks it).

Reports events per second for each, per round, and the median ratio (ours / naive).
"""

from __future__ import annotations

import argparse
import multiprocessing
import socket
import statistics
import time
from collections.abc import Iterator

import urllib3

from apiclient import APIClient


def _event(n: int) -> bytes:
    data = f"id: {n}\ndata: ".encode()
    return data + b"x" * (100 - len(data) - 2) + b"\n\n"


def serve(port: int, count: int, ready: multiprocessing.synchronize.Event) -> None:
    """Answer every request on a keep-alive connection with ``count`` events."""
    body = b"".join(_event(n) for n in range(count))
    head = (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n"
    )
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen()
        ready.set()
        while True:
            connection, _ = listener.accept()
            with connection:
                buffer = b""
                while True:
                    data = connection.recv(65536)
                    if not data:
                        break
                    buffer += data
                    while b"\r\n\r\n" in buffer:
                        _, buffer = buffer.split(b"\r\n\r\n", 1)
                        connection.sendall(head + body)


def ours(url: str) -> int:
    with APIClient(base_url=url) as api:
        return sum(1 for _ in api.events("GET", "/"))


def naive_events(url: str) -> Iterator[dict[str, str | None]]:
    """What a hand-written client does: lines split on LF and decoded, an event dict each."""
    pool = urllib3.PoolManager()
    response = pool.request("GET", url, preload_content=False)
    rest, data, kind, last_id = b"", [], "message", None
    for chunk in response.stream(65536):
        *lines, rest = (rest + chunk).split(b"\n")
        for raw in lines:
            line = raw.decode()
            if not line:
                if data:
                    yield {"event": kind, "data": "\n".join(data), "id": last_id}
                    data, kind = [], "message"
            elif line.startswith("data:"):
                data.append(line[5:].lstrip(" "))
            elif line.startswith("id:"):
                last_id = line[3:].lstrip(" ")
            elif line.startswith("event:"):
                kind = line[6:].lstrip(" ")
    response.release_conn()
    pool.clear()


def naive(url: str) -> int:
    return sum(1 for _ in naive_events(url))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    ready = multiprocessing.Event()
    server = multiprocessing.Process(target=serve, args=(port, args.events, ready), daemon=True)
    server.start()
    ready.wait(30)
    url = f"http://127.0.0.1:{port}/"
    contenders = {"apiclient events()": ours, "naive urllib3 line loop": naive}
    rates: dict[str, list[float]] = {name: [] for name in contenders}
    for round_ in range(args.rounds):
        names = list(contenders) if round_ % 2 == 0 else list(reversed(contenders))
        for name in names:
            started = time.process_time()
            seen = contenders[name](url)
            assert seen == args.events, (name, seen)
            rates[name].append(seen / (time.process_time() - started))
    print(f"{args.events} events of 100 bytes, events per second (CPU), {args.rounds} rounds")
    for name, values in rates.items():
        print(f"  {name:26s} {statistics.median(values):12.0f}")
    ratios = [a / b for a, b in zip(*rates.values(), strict=True)]
    print(f"  ratio apiclient / naive: {statistics.median(ratios):.2f}x median "
          f"({min(ratios):.2f}-{max(ratios):.2f} over rounds)")  # fmt: skip
    server.terminate()


if __name__ == "__main__":
    main()
