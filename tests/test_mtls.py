"""Client certificates (mutual TLS) and ssl_context=, in both clients, against a real TLS server."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import trustme

from apiclient import APIClient, TLSError
from apiclient.testing import FakeServer, Reply

from .conftest import Acme

MakeClient = Callable[..., Acme]


@pytest.fixture
def strict_server(ca: trustme.CA) -> Iterator[FakeServer]:
    """An https server that requires a client certificate issued by ``ca``."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    context.verify_mode = ssl.CERT_REQUIRED
    # TLS 1.2: the certificate is asked for in the handshake, so a refusal is a handshake
    # failure. (Under TLS 1.3 the server checks it after the handshake, and a refusal can
    # reach the client as a connection reset: ProtocolError.)
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    ca.configure_trust(context)
    with FakeServer(tls=context) as fake:
        fake.add("GET /whoami", Reply(json={"ok": True}))
        yield fake


@pytest.fixture
def client_cert(ca: trustme.CA, tmp_path: Path) -> tuple[str, str]:
    issued = ca.issue_cert("client.example")
    cert, key = tmp_path / "client.pem", tmp_path / "client.key"
    issued.cert_chain_pems[0].write_to_path(str(cert))
    issued.private_key_pem.write_to_path(str(key))
    return str(cert), str(key)


def test_a_client_certificate_is_presented(
    strict_server: FakeServer, make_client: MakeClient, ca_file: Path, client_cert: tuple[str, str]
) -> None:
    api = make_client(strict_server, ca_certs=str(ca_file), cert=client_cert)
    assert api.get("/whoami") == {"ok": True}


def test_without_the_certificate_the_server_refuses_with_a_typed_error(
    strict_server: FakeServer, make_client: MakeClient, ca_file: Path
) -> None:
    api = make_client(strict_server, ca_certs=str(ca_file), retries=0)
    with pytest.raises(TLSError):
        api.get("/whoami")


def test_an_ssl_context_of_ones_own(
    strict_server: FakeServer, make_client: MakeClient, ca: trustme.CA,
    client_cert: tuple[str, str], client_kind: str,
) -> None:  # fmt: skip
    context = ssl.create_default_context()
    ca.configure_trust(context)
    context.load_cert_chain(*client_cert)
    if client_kind == "curl":  # libcurl takes files, not a Python context: said at once
        with pytest.raises(ValueError, match="ca_certs= and cert="):
            make_client(strict_server, ssl_context=context)
        return
    assert make_client(strict_server, ssl_context=context).get("/whoami") == {"ok": True}


def test_ssl_context_replaces_the_other_settings() -> None:
    with pytest.raises(ValueError, match="ssl_context"):
        APIClient(base_url="https://api.example/", ssl_context=ssl.create_default_context(),
                  ca_certs="ca.pem")  # fmt: skip
