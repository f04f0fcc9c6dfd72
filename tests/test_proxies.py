"""HTTP proxies in both clients, through a real forwarding/CONNECT proxy on loopback."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from apiclient import APIClient, APIError, BearerToken
from apiclient.testing import FakeServer, Reply

from .conftest import Acme
from .proxy_server import ProxyServer

MakeClient = Callable[..., Acme]
pytestmark = pytest.mark.usefixtures("no_proxy_environment")  # (conftest.py)
CREDENTIALS = "alice:pr0xy-s3cret"


@pytest.fixture
def proxy() -> Iterator[ProxyServer]:
    with ProxyServer() as running:
        yield running


def with_credentials(url: str) -> str:
    return url.replace("http://", f"http://{CREDENTIALS}@")


def test_http_is_forwarded_and_proxy_credentials_stay_with_the_proxy(
    server: FakeServer, proxy: ProxyServer, make_client: MakeClient
) -> None:
    server.add("GET /things", Reply(json={"ok": True}))
    api = make_client(server, proxy=with_credentials(proxy.url))
    assert api.get("/things", params={"q": "1"}) == {"ok": True}
    [seen] = proxy.seen
    assert seen.line.startswith(f"GET {server.url}things?q=1 ")  # absolute-form, to the proxy
    assert seen.headers["proxy-authorization"].startswith("Basic ")
    assert "proxy-authorization" not in server.requests[-1].headers


def test_https_is_tunnelled_and_the_proxy_sees_no_authorization(
    tls_server: FakeServer, proxy: ProxyServer, make_client: MakeClient, ca_file: Path
) -> None:
    tls_server.add("GET /me", Reply(json={"user": "alice"}))
    api = make_client(tls_server, proxy=with_credentials(proxy.url), ca_certs=str(ca_file),
                      auth=BearerToken("origin-token"))  # fmt: skip
    assert api.get("/me") == {"user": "alice"}
    assert [s.line.split(" ")[0] for s in proxy.seen] == ["CONNECT"]
    connect = proxy.seen[0]
    assert connect.line.startswith("CONNECT 127.0.0.1:")
    assert connect.headers["proxy-authorization"].startswith("Basic ")
    assert "authorization" not in connect.headers  # the origin's token went inside the tunnel
    origin = tls_server.requests[-1].headers
    assert origin["authorization"] == "Bearer origin-token"
    assert "proxy-authorization" not in origin


def test_the_environment_decides_unless_trust_env_is_false(
    server: FakeServer, proxy: ProxyServer, make_client: MakeClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    server.add("GET /", Reply(json={}))
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    make_client(server).get("/")
    assert len(proxy.seen) == 1
    make_client(server, trust_env=False).get("/")
    assert len(proxy.seen) == 1  # ignored
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    make_client(server).get("/")
    assert len(proxy.seen) == 1  # bypassed
    monkeypatch.setenv("NO_PROXY", ".example.com")
    monkeypatch.setenv("ALL_PROXY", proxy.url)
    monkeypatch.delenv("HTTP_PROXY")
    make_client(server).get("/")
    assert len(proxy.seen) == 2  # ALL_PROXY, not bypassed


def test_proxy_credentials_never_show(make_client: MakeClient, server: FakeServer) -> None:
    dead = "http://127.0.0.1:9"  # nothing listens on the discard port here
    api = make_client(server, proxy=with_credentials(dead), retries=0)
    with pytest.raises(APIError) as caught:
        api.get("/")
    shown = str(caught.value) + repr(caught.value) + repr(api) + repr(api.transport)
    assert "pr0xy-s3cret" not in shown


def test_malformed_proxies_are_refused() -> None:
    for wrong in ("ftp://127.0.0.1:21", "http://", "socks6://127.0.0.1:1080"):
        with pytest.raises(ValueError, match="socks5"):
            APIClient(base_url="https://api.example/", proxy=wrong)
