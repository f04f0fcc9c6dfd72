"""CurlTransport's own behaviour: its lane pool, HTTP/2 multiplexing on a real h2 server.

Everything the two transports share is checked by the behavioural suite, which runs on
both (``make_client``'s ``curl`` variant); here is what only libcurl brings.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import trustme

from apiclient import (
    APIClient,
    APIError,
    AsyncAPIClient,
    CertificateError,
    PoolTimeout,
    Timeouts,
)
from apiclient.testing import FakeServer, Reply
from apiclient.transports.curl import CurlTransport

try:
    import hypercorn  # noqa: F401  # the test group installs it
except ImportError:  # pragma: no cover - CI installs it
    if os.environ.get("CI") == "true":
        raise
    pytest.skip("hypercorn is not installed: no HTTP/2 server to test against",
                allow_module_level=True)  # fmt: skip

from .h2_server import H2Server


@pytest.fixture
def h2(ca: trustme.CA, tmp_path: Path) -> Iterator[H2Server]:
    with H2Server(ca, tmp_path) as server:
        yield server


class Api(APIClient):
    TRANSPORT = CurlTransport


def test_a_client_class_can_name_its_transport(server: FakeServer) -> None:
    server.add("GET /x", Reply(json={"ok": True}))
    with Api(base_url=server.url) as api:
        assert isinstance(api.transport, CurlTransport)
        assert api.get("/x") == {"ok": True}
    assert server.requests[-1].headers["accept-encoding"] == api.transport.accept_encoding


@pytest.mark.parametrize("threads", [8, 64])
def test_many_threads_share_a_bounded_pool_without_errors(server: FakeServer, threads: int) -> None:
    server.add("/n", lambda r: Reply(json=int(r.args["i"])))
    with (
        Api(base_url=server.url, pool_maxsize=4) as api,
        ThreadPoolExecutor(threads) as pool,
    ):
        results = list(pool.map(lambda i: api.call("/n", i=i), range(400)))
    assert results == list(range(400))
    assert 1 <= server.connections_opened <= 4


def test_a_thread_beyond_the_pool_waits_then_gets_a_pool_timeout(server: FakeServer) -> None:
    arrived = threading.Event()

    def hang(_: object) -> Reply:
        arrived.set()
        return Reply(hang=True)

    server.add("/hang", hang)
    server.add("/next", Reply(json=1))
    api = Api(base_url=server.url, pool_maxsize=1, retries=0)
    holder = threading.Thread(target=lambda: _swallow(api, "/hang"), daemon=True)
    holder.start()
    assert arrived.wait(10)
    with pytest.raises(PoolTimeout):
        api.with_options(timeout=Timeouts(connect=0.2, read=0.2, total=0.2)).get("/next")
    server.stop()  # releases the hanging reply, and with it the pool's one lane
    holder.join(10)
    api.close()


def _swallow(api: APIClient, path: str) -> None:
    with contextlib.suppress(APIError):  # the server stops under it: any end will do
        api.get(path)


def test_a_closed_transport_refuses_new_calls(server: FakeServer) -> None:
    server.add("/x", Reply(json=1))
    api = Api(base_url=server.url)
    assert api.get("/x") == 1
    api.close()
    with pytest.raises(RuntimeError, match="closed"):
        api.get("/x")


def test_http2_multiplexes_100_concurrent_calls_on_one_connection(
    h2: H2Server, ca_file: Path
) -> None:
    transport = CurlTransport(http2=True, ca_certs=str(ca_file), pool_maxsize=100)
    start = threading.Barrier(100)

    def call(i: int) -> object:
        start.wait()
        return api.get(f"/n{i}")

    with APIClient(base_url=h2.url, transport=transport) as api, ThreadPoolExecutor(100) as pool:
        answers = list(pool.map(call, range(100)))
    assert answers == [{"path": f"/n{i}", "version": "2"} for i in range(100)]
    assert h2.connections() == 1
    assert {version for version, _ in h2.seen} == {"2"}


def test_http2_streams_a_body_and_plain_http_stays_http1(
    h2: H2Server, ca_file: Path, server: FakeServer
) -> None:
    transport = CurlTransport(http2=True, ca_certs=str(ca_file))
    with APIClient(base_url=h2.url, transport=transport) as api:
        with api.stream("GET", "/s") as body:
            assert body.read() == b'{"path": "/s", "version": "2"}'
        assert api.get("/after") == {"path": "/after", "version": "2"}
    server.add("/plain", Reply(json="ok"))
    with APIClient(base_url=server.url, transport=CurlTransport(http2=True)) as api:
        assert api.get("/plain") == "ok"
    assert server.requests[-1].headers.get("upgrade") is None


def test_http2_still_verifies_the_certificate(h2: H2Server) -> None:
    """The system's trust store does not know the test CA."""
    api = APIClient(base_url=h2.url, transport=CurlTransport(http2=True), retries=0)
    with api, pytest.raises(CertificateError):
        api.get("/x")


def test_an_async_client_refuses_the_sync_transport_at_once() -> None:
    with pytest.raises(TypeError, match="async transport"):
        AsyncAPIClient(base_url="http://127.0.0.1:1/", transport=CurlTransport)
