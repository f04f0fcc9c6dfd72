"""Compression: both clients ask for the same codings, decode them, and a bomb still stops."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable

import pytest

try:  # the apiclient[compression] extra; the suite installs it
    import brotli
    from backports import zstd
except ImportError:  # pragma: no cover - CI installs both
    brotli = zstd = None

from apiclient import APIClient, AsyncAPIClient, CurlTransport, DecodeError, ResponseTooLarge
from apiclient.testing import FakeServer, Reply
from apiclient.transports.curl import DECODABLE as CURL_DECODABLE

from .conftest import Acme

MakeClient = Callable[..., Acme]


def test_both_clients_send_the_same_accept_encoding(server: FakeServer) -> None:
    server.add("GET /", Reply(json={}))
    sync_client = APIClient(base_url=server.url)
    async_client = AsyncAPIClient(base_url=server.url)
    assert sync_client.headers["Accept-Encoding"] == async_client.headers["Accept-Encoding"]
    assert sync_client.headers["Accept-Encoding"].startswith("gzip, deflate")
    if brotli is not None and zstd is not None:  # decoders installed: both clients ask for them
        assert sync_client.headers["Accept-Encoding"] == "gzip, deflate, br, zstd"
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


def _codings() -> list[tuple[str, Callable[[bytes], bytes]]]:
    """Every coding both transports decode here, with its compressor."""
    found: list[tuple[str, Callable[[bytes], bytes]]] = [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
    ]
    if brotli is not None:
        found.append(("br", brotli.compress))
    if zstd is not None:
        found.append(("zstd", zstd.compress))
    return found


def test_the_suite_has_the_optional_decoders() -> None:
    """CI installs apiclient[compression], so br and zstd are tested, not skipped."""
    assert [name for name, _ in _codings()] == ["gzip", "deflate", "br", "zstd"]


def _decodes(client_kind: str, coding: str) -> bool:
    """Whether the client's transport decodes ``coding`` (pycurl's libcurl has no zstd)."""
    return client_kind != "curl" or coding in CURL_DECODABLE


def test_a_coding_libcurl_lacks_is_not_asked_for_and_is_a_decode_error(
    server: FakeServer,
) -> None:
    if "zstd" in CURL_DECODABLE:  # pragma: no cover - a libcurl built with zstd
        pytest.skip("this libcurl decodes zstd")
    server.add("GET /", Reply(body=b"\x28\xb5\x2f\xfd", headers={"Content-Encoding": "zstd"}))
    api = APIClient(base_url=server.url, transport=CurlTransport)
    assert "zstd" not in api.headers["Accept-Encoding"]
    with pytest.raises(DecodeError):
        api.get("/")


@pytest.mark.parametrize(("coding", "compress"), _codings())
def test_compressed_bodies_are_decoded(
    server: FakeServer, make_client: MakeClient, coding: str, compress: Callable[[bytes], bytes],
    client_kind: str,
) -> None:  # fmt: skip
    body = compress(b'{"answer": 42}')
    server.add("GET /", Reply(body=body, headers={"Content-Encoding": coding,
                                                  "Content-Type": "application/json"}))  # fmt: skip
    api = make_client(server)
    if not _decodes(client_kind, coding):
        pytest.skip(f"CurlTransport does not ask for {coding}")
    assert api.get("/") == {"answer": 42}
    sent = server.requests[-1].headers["accept-encoding"]
    assert coding in sent


@pytest.mark.parametrize(("coding", "compress"), _codings())
def test_a_bomb_stops_at_max_body_bytes(
    server: FakeServer, make_client: MakeClient, coding: str, compress: Callable[[bytes], bytes],
    client_kind: str,
) -> None:  # fmt: skip
    if not _decodes(client_kind, coding):
        pytest.skip(f"CurlTransport does not ask for {coding}")
    bomb = compress(b"\0" * 20_000_000)  # 80 bytes of br, 20 MB decoded
    server.add("GET /bomb", Reply(body=bomb, headers={"Content-Encoding": coding}))
    with pytest.raises(ResponseTooLarge):
        make_client(server, max_body_bytes=1_000_000).get("/bomb")


@pytest.mark.parametrize(("coding", "compress"), _codings())
def test_a_streamed_bomb_stops_at_max_body_bytes(
    server: FakeServer, make_client: MakeClient, coding: str, compress: Callable[[bytes], bytes],
    client_kind: str,
) -> None:  # fmt: skip
    if not _decodes(client_kind, coding):
        pytest.skip(f"CurlTransport does not ask for {coding}")
    bomb = compress(b"\0" * 20_000_000)
    server.add("GET /bomb", Reply(body=bomb, headers={"Content-Encoding": coding}))
    api = make_client(server, max_body_bytes=1_000_000)
    with pytest.raises(ResponseTooLarge), api.stream("GET", "/bomb") as body:
        for _ in body.iter_bytes():
            pass
