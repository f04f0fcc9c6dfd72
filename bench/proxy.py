"""CPU per GET + JSON through an HTTP proxy, beside the same call made directly, in one run.

Usage: .venv/bin/python bench/proxy.py [--calls 2000] [--rounds 9]

The keep-alive JSON server (``loopback_server.py``, plain and over TLS with a trustme
certificate) and a keep-alive proxy each run in a process of their own, so
``time.process_time()`` here counts only the client's CPU. Paths, alternating within each
round: http direct, forwarded by the proxy (absolute-form requests) and through a SOCKS5
tunnel; https direct, tunnelled through ``CONNECT`` (TLS inside the tunnel) and through
SOCKS5; each for apiclient's ``APIClient`` and for raw ``urllib3`` (``PoolManager`` /
``ProxyManager`` / ``SOCKSProxyManager``, which needs apiclient[socks]). Reports the
median CPU per call and each proxied path's ratio to its direct path, paired per round.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import trustme
import urllib3

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loopback_server import LoopbackServer
from rounds import paired_ratio, rotated

from apiclient import APIClient


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


async def _socks5(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """SOCKS5 without a login: greet, read the CONNECT (an IPv4 address), pipe."""
    await reader.readexactly((await reader.readexactly(1))[0])  # the methods offered
    writer.write(b"\x05\x00")
    request = await reader.readexactly(10)  # VER CMD RSV ATYP=1 ADDR(4) PORT(2)
    host, port = ".".join(map(str, request[4:8])), int.from_bytes(request[8:10], "big")
    upstream_reader, upstream = await asyncio.open_connection(host, port)
    writer.write(b"\x05\x00\x00\x01" + bytes(6))
    await asyncio.gather(_pipe(reader, upstream), _pipe(upstream_reader, writer))


async def _handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """SOCKS5, or CONNECT: a tunnel. Else forward each GET (origin-form) on one connection."""
    first = await reader.readexactly(1)
    if first == b"\x05":
        await _socks5(reader, writer)
        return
    head = first + await reader.readuntil(b"\r\n\r\n")
    line, _, rest = head.partition(b"\r\n")
    method, target, version = line.split(b" ")
    if method == b"CONNECT":
        host, _, port = target.rpartition(b":")
        upstream_reader, upstream = await asyncio.open_connection(host.decode(), int(port))
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await asyncio.gather(_pipe(reader, upstream), _pipe(upstream_reader, writer))
        return
    authority = target.split(b"/")[2]
    host, _, port = authority.partition(b":")
    upstream_reader, upstream = await asyncio.open_connection(host.decode(), int(port or 80))
    answers = asyncio.ensure_future(_pipe(upstream_reader, writer))
    while True:
        path = b"/" + target.split(b"/", 3)[3] if target.count(b"/") >= 3 else b"/"
        kept = b"\r\n".join(
            field for field in rest.split(b"\r\n") if not field.lower().startswith(b"proxy-")
        )
        upstream.write(b" ".join((method, path, version)) + b"\r\n" + kept)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            break
        line, _, rest = head.partition(b"\r\n")
        method, target, version = line.split(b" ")
    upstream.close()
    await answers


def _serve_proxy(port_queue: Any) -> None:
    async def main() -> None:
        server = await asyncio.start_server(_handle, "127.0.0.1", 0, backlog=1024)
        port_queue.put(server.sockets[0].getsockname()[1])
        await server.serve_forever()

    asyncio.run(main())


def _per_call(get: Callable[[], Any], calls: int) -> float:
    get()  # connect (and handshake) outside the timing
    started = time.process_time()
    for _ in range(calls):
        get()
    return (time.process_time() - started) / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    authority = trustme.CA()
    certificate = authority.issue_cert("127.0.0.1")
    folder = Path(tempfile.mkdtemp())
    ca_file, cert_file, key_file = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    authority.cert_pem.write_to_path(str(ca_file))
    certificate.cert_chain_pems[0].write_to_path(str(cert_file))
    certificate.private_key_pem.write_to_path(str(key_file))
    plain, secure = LoopbackServer(), LoopbackServer(cert=(str(cert_file), str(key_file)))
    queue: multiprocessing.Queue[int] = multiprocessing.Queue()
    proxy_process = multiprocessing.Process(target=_serve_proxy, args=(queue,), daemon=True)
    proxy_process.start()
    port = queue.get(timeout=30)
    proxy, socks = f"http://127.0.0.1:{port}", f"socks5://127.0.0.1:{port}"

    def ours(url: str, through: str | None) -> Callable[[], Any]:
        api = APIClient(base_url=url, proxy=through, ca_certs=str(ca_file), trust_env=False)
        return lambda: api.get("/")

    def raw(url: str, through: str | None) -> Callable[[], Any]:
        options = {"ca_certs": str(ca_file), "cert_reqs": "CERT_REQUIRED"}
        pool: urllib3.PoolManager = urllib3.PoolManager(**options)
        if through and through.startswith("socks"):
            from urllib3.contrib.socks import SOCKSProxyManager

            pool = SOCKSProxyManager(through, **options)
        elif through:
            pool = urllib3.ProxyManager(through, **options)
        return lambda: pool.request("GET", url).json()

    paths = {}
    for who, make in (("apiclient", ours), ("urllib3", raw)):
        for scheme, server in (("http", plain), ("https", secure)):
            paths[f"{who} {scheme} direct"] = make(server.url, None)
            tunnel = "CONNECT" if scheme == "https" else "forwarded"
            paths[f"{who} {scheme} {tunnel}"] = make(server.url, proxy)
            paths[f"{who} {scheme} SOCKS5"] = make(server.url, socks)
    costs: dict[str, list[float]] = {name: [] for name in paths}
    for round_ in range(args.rounds):
        for name in rotated(list(paths), round_):
            costs[name].append(_per_call(paths[name], args.calls))
    print(f"GET + JSON, client CPU per call, {args.calls} calls x {args.rounds} rounds")
    for name, values in costs.items():
        line = f"  {name:34s} {statistics.median(values):7.1f} us"
        if not name.endswith("direct"):
            direct = name.rsplit(" ", 1)[0] + " direct"
            line += f"   {paired_ratio(values, costs[direct]):.2f}x of direct"
        print(line)
    for process in (plain, secure):
        process.stop()
    proxy_process.terminate()


if __name__ == "__main__":
    main()
