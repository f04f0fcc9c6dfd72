"""SOCKS proxies (apiclient[socks]) in both clients, through a real SOCKS5 proxy on loopback."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import aiohttp_socks
import pytest

from apiclient import APIClient, AsyncAPIClient, BearerToken, ConnectError, ProtocolError
from apiclient.testing import FakeServer, Reply

from .conftest import Acme
from .faults import RawServer, answer
from .socks_server import SocksServer

MakeClient = Callable[..., Acme]
pytestmark = pytest.mark.usefixtures("no_proxy_environment")  # (conftest.py)
LOGIN = ("alice", "s0cks-s3cret")


@pytest.fixture
def socks() -> Iterator[SocksServer]:
    with SocksServer(credentials=LOGIN) as running:
        yield running


def logged_in(url: str, password: str = LOGIN[1]) -> str:
    return url.replace("socks5://", f"socks5://{LOGIN[0]}:{password}@")


def test_http_goes_through_the_tunnel_and_the_login_stays_with_the_proxy(
    server: FakeServer, socks: SocksServer, make_client: MakeClient
) -> None:
    server.add("GET /things", Reply(json={"ok": True}))
    api = make_client(server, proxy=logged_in(socks.url))
    assert api.get("/things", params={"q": "1"}) == {"ok": True}
    assert api.get("/things") == {"ok": True}
    [tunnel] = socks.seen  # one tunnel, kept alive for both calls
    assert (tunnel.username, tunnel.host, tunnel.port) == ("alice", "127.0.0.1", server.port)
    first = server.requests[0]
    assert first.target == "/things?q=1"  # origin-form: the origin is at the tunnel's end
    assert "proxy-authorization" not in first.headers
    assert LOGIN[1] not in repr(first.headers)


def test_https_goes_through_with_the_name_resolved_by_the_proxy(
    tls_server: FakeServer, socks: SocksServer, make_client: MakeClient, ca_file: Path
) -> None:
    tls_server.add("GET /me", Reply(json={"user": "alice"}))
    proxy = logged_in(socks.url).replace("socks5://", "socks5h://")
    url = f"https://localhost:{tls_server.port}/"
    api = make_client(tls_server, base_url=url, proxy=proxy, ca_certs=str(ca_file),
                      auth=BearerToken("origin-token"))  # fmt: skip
    assert api.get("/me") == {"user": "alice"}
    [tunnel] = socks.seen
    assert tunnel.host == "localhost"  # socks5h: the name, for the proxy to resolve
    assert tls_server.requests[-1].headers["authorization"] == "Bearer origin-token"


def test_a_refused_login_is_a_connect_error_that_shows_no_password(
    server: FakeServer, socks: SocksServer, make_client: MakeClient
) -> None:
    server.add("GET /", Reply(json={}))
    api = make_client(server, proxy=logged_in(socks.url, "wrong-s3cret"), retries=0)
    with pytest.raises(ConnectError) as caught:
        api.get("/")
    assert socks.refused == 1 and socks.seen == []
    shown = str(caught.value) + repr(caught.value) + repr(api) + repr(api.transport)
    assert "wrong-s3cret" not in shown


def test_an_unreachable_origin_is_a_connect_error(
    socks: SocksServer, make_client: MakeClient, server: FakeServer
) -> None:
    gone = f"http://127.0.0.1:{server.port}/"
    server.stop()
    api = make_client(server, base_url=gone, proxy=logged_in(socks.url), retries=0)
    with pytest.raises(ConnectError):
        api.get("/")


def test_all_proxy_in_the_environment_may_name_a_socks_proxy(
    server: FakeServer, socks: SocksServer, make_client: MakeClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    server.add("GET /", Reply(json={}))
    monkeypatch.setenv("ALL_PROXY", logged_in(socks.url))
    make_client(server).get("/")
    assert len(socks.seen) == 1
    make_client(server, trust_env=False).get("/")
    assert len(socks.seen) == 1


def test_connections_through_socks_are_parsed_as_strictly_as_direct_ones(
    socks: SocksServer, make_client: MakeClient
) -> None:
    wire = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n"
            b"3\r\nabc\r\n0\r\n\r\n")  # fmt: skip
    with RawServer(answer(wire)) as raw, pytest.raises(ProtocolError):
        make_client(raw, proxy=logged_in(socks.url), retries=0).get("/x")
    assert len(socks.seen) == 1


def test_aiohttp_socks_still_has_the_hook_apiclient_uses() -> None:
    assert callable(getattr(aiohttp_socks.ProxyConnector, "_connect_via_proxy", None))


@pytest.mark.parametrize(
    ("client", "missing"),
    [(APIClient, "urllib3.contrib.socks"), (AsyncAPIClient, "aiohttp_socks")],
)
def test_without_the_extra_a_socks_proxy_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, client: type[APIClient], missing: str
) -> None:
    monkeypatch.setitem(sys.modules, missing, None)  # as if not installed
    for ours in ("apiclient.transports.socks_urllib3", "apiclient.transports.socks_aiohttp"):
        monkeypatch.delitem(sys.modules, ours, raising=False)
    with pytest.raises(ImportError, match=r"apiclient\[socks\]"):
        client(base_url="http://api.example/", proxy="socks5://127.0.0.1:1080")
