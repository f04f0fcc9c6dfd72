"""Shared fixtures: real loopback servers (plain and TLS) and clients pointed at them."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from apiclient import APIClient, APIClient_SharedSecret, AsyncAPIClient_SharedSecret
from apiclient.testing import FakeServer
from apiclient.transports.curl import CurlTransport

from .async_facade import AsyncAcme, SyncFacade
from .redis_server import RedisServer

pytest_plugins = ["pytester"]  # (the testing kit's own fixtures are tested in a pytester run)


class Acme(APIClient):
    """The seed README's example client."""

    BASE_URL = "http://placeholder.invalid/"


class Keyed(APIClient_SharedSecret):
    """A seed-style client whose API takes a shared secret (``?key=...``)."""

    BASE_URL = "http://placeholder.invalid/"


class AsyncKeyed(AsyncAPIClient_SharedSecret):
    BASE_URL = "http://placeholder.invalid/"


class Sleeps(list[float]):
    """An injected ``sleep`` that records the waits and advances a fake clock instead."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 1000.0

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with FakeServer() as fake:
        yield fake


@pytest.fixture
def other_server() -> Iterator[FakeServer]:
    """A second origin (another port), for cross-origin redirects."""
    with FakeServer() as fake:
        yield fake


@pytest.fixture
def no_proxy_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No proxy variable from the machine's environment reaches the test's clients."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture(params=["sync", "async", "curl"])
def make_client(request: pytest.FixtureRequest, sleeps: Sleeps) -> Iterator[Callable[..., Acme]]:
    """Build clients for a server: sync on urllib3, async, or sync on libcurl (each test
    using this runs on all three).

    Closes them after the test; sleeps are recorded on a fake clock. ``api_key=`` makes
    a shared-secret client (``Keyed``) instead of ``Acme``.
    """
    made: list[Any] = []

    def build(fake: FakeServer, api_key: str | None = None, **kwargs: Any) -> Acme:
        kwargs.setdefault("sleep", sleeps)
        kwargs.setdefault("clock", sleeps.clock)
        kwargs.setdefault("base_url", fake.url)
        args = () if api_key is None else (api_key,)
        if request.param == "curl":
            kwargs.setdefault("transport", CurlTransport)
        if request.param == "async":
            client_class = AsyncKeyed if api_key is not None else AsyncAcme
            client: Any = SyncFacade(*args, client_class=client_class, **kwargs)
        else:
            client = (Keyed if api_key is not None else Acme)(*args, **kwargs)
        made.append(client)
        return client  # type: ignore[no-any-return]

    yield build
    for client in made:
        client.close()


@pytest.fixture
def client_kind(request: pytest.FixtureRequest) -> str:
    """Which client ``make_client`` builds in this test: ``sync``, ``async`` or ``curl``."""
    callspec = getattr(request.node, "callspec", None)
    return str(callspec.params.get("make_client", "sync")) if callspec else "sync"


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def ca_file(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


def _tls_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


@pytest.fixture
def tls_server(ca: trustme.CA) -> Iterator[FakeServer]:
    with FakeServer(tls=_tls_context(ca)) as fake:
        yield fake


@pytest.fixture
def other_tls_server(ca: trustme.CA) -> Iterator[FakeServer]:
    """A second https origin (another port)."""
    with FakeServer(tls=_tls_context(ca)) as fake:
        yield fake


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A real redis-server for the whole session (tests use their own keys)."""
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture
def own_redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test's own, which the test may stop and restart."""
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()
