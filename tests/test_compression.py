"""Compression: both clients ask for the same codings, decode them, and a bomb still stops."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable

import pytest

from apiclient import APIClient, AsyncAPIClient, ResponseTooLarge
from apiclient.testing import FakeServer, Reply

from .conftest import Acme

MakeClient = Callable[..., Acme]


def test_both_clients_send_the_same_accept_encoding(server: FakeServer) -> None:
    server.add("GET /", Reply(json={}))
    sync_client = APIClient(base_url=server.url)
    async_client = AsyncAPIClient(base_url=server.url)
    assert sync_client.headers["Accept-Encoding"] == async_client.headers["Accept-Encoding"]
    assert sync_client.headers["Accept-Encoding"].startswith("gzip, deflate")
    sync_client.get("/")
    assert server.requests[-1].headers["accept-encoding"] == sync_client.headers["Accept-Encoding"]


def test_compress_false_asks_for_identity_and_a_header_of_ones_own_wins(
    server: FakeServer, make_client: MakeClient
) -> None:
    server.add("GET /", Reply(json={}))
    make_client(server, compress=False).get("/")
    assert server.requests[-1].headers["accept-encoding"] == "identity"
    make_client(server, headers={"Accept-Encoding": "gzip"}).get("/")
    assert server.requests[-1].headers["accept-encoding"] == "gzip"


@pytest.mark.parametrize(
    ("coding", "compress"),
    [("gzip", gzip.compress), ("deflate", zlib.compress)],
)
def test_compressed_bodies_are_decoded(
    server: FakeServer, make_client: MakeClient, coding: str, compress: Callable[[bytes], bytes]
) -> None:
    body = compress(b'{"answer": 42}')
    server.add("GET /", Reply(body=body, headers={"Content-Encoding": coding,
                                                  "Content-Type": "application/json"}))  # fmt: skip
    api = make_client(server)
    assert api.get("/") == {"answer": 42}
    sent = server.requests[-1].headers["accept-encoding"]
    assert coding in sent


def test_a_deflate_bomb_stops_at_max_body_bytes(
    server: FakeServer, make_client: MakeClient
) -> None:
    bomb = zlib.compress(b"\0" * 20_000_000)
    server.add("GET /bomb", Reply(body=bomb, headers={"Content-Encoding": "deflate"}))
    with pytest.raises(ResponseTooLarge):
        make_client(server, max_body_bytes=1_000_000).get("/bomb")
