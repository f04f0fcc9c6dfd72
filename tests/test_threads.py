"""One client shared by threads: keep-alive reuse, bounded connections, no errors."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from apiclient.testing import FakeServer, Reply
from apiclient.transports.curl import CurlTransport

from .conftest import Acme

#: Every test here runs on both sync transports.
TRANSPORTS = pytest.mark.parametrize("transport", [None, CurlTransport], ids=["urllib3", "curl"])


@TRANSPORTS
def test_200_calls_from_4_threads_use_at_most_pool_maxsize_connections(
    server: FakeServer, transport: Any
) -> None:
    server.add("/n", lambda r: Reply(json=int(r.args["i"])))
    with (
        Acme(base_url=server.url, pool_maxsize=2, transport=transport) as api,
        ThreadPoolExecutor(4) as pool,
    ):
        results = list(pool.map(lambda i: api.call("/n", i=i), range(200)))
    assert results == list(range(200))
    assert len(server.requests) == 200
    assert 1 <= server.connections_opened <= 2


@TRANSPORTS
def test_threads_waiting_for_a_connection_do_not_open_extra_ones(
    server: FakeServer, transport: Any
) -> None:
    # Slow replies make every thread contend for the single pooled connection.
    server.add("/slow", Reply(json="ok", delay=0.01))
    with (
        Acme(base_url=server.url, pool_maxsize=1, transport=transport) as api,
        ThreadPoolExecutor(8) as pool,
    ):
        assert set(pool.map(lambda _: api.get("/slow"), range(40))) == {"ok"}
    assert server.connections_opened == 1
