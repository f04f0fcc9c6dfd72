"""TLS against a real server with certificates from a throwaway CA (trustme), both clients."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from apiclient import CertificateError, ConnectError, TLSError
from apiclient.testing import FakeServer, Reply

from .conftest import Acme

MakeClient = Callable[..., Acme]


def test_verified_tls_with_a_private_ca(
    tls_server: FakeServer, ca_file: Path, make_client: MakeClient
) -> None:
    tls_server.add("/x", Reply(json="secure"))
    assert make_client(tls_server, ca_certs=str(ca_file)).get("/x") == "secure"


def test_an_untrusted_certificate_is_refused_by_default(
    tls_server: FakeServer, make_client: MakeClient
) -> None:
    tls_server.add("/x", Reply(json="secure"))
    with pytest.raises(TLSError) as caught:
        make_client(tls_server, retries=0).get("/x")
    assert isinstance(caught.value, ConnectError)
    assert tls_server.requests == []


def test_a_certificate_that_fails_verification_is_not_retried(
    tls_server: FakeServer, make_client: MakeClient
) -> None:
    tls_server.add("/x", Reply(json="secure"))
    with pytest.raises(CertificateError) as caught:
        make_client(tls_server).get("/x")  # three retries allowed: none is used
    assert isinstance(caught.value, TLSError) and caught.value.attempts == 1
    assert tls_server.connections_opened == 1


def test_the_ca_bundle_replaces_the_trust_store(
    tls_server: FakeServer, tmp_path: Path, make_client: MakeClient
) -> None:
    import trustme

    other_ca = tmp_path / "other.pem"
    trustme.CA().cert_pem.write_to_path(str(other_ca))
    with pytest.raises(TLSError):
        make_client(tls_server, ca_certs=str(other_ca), retries=0).get("/x")


def test_verification_off_needs_an_argument_and_warns(
    tls_server: FakeServer, caplog: pytest.LogCaptureFixture, make_client: MakeClient
) -> None:
    tls_server.add("/x", Reply(json="unverified"))
    with caplog.at_level("WARNING", logger="apiclient"):
        api = make_client(tls_server, verify=False)
    assert "verification is OFF" in caplog.text
    assert api.get("/x") == "unverified"


def test_tls_settings_are_fixed_per_client(tls_server: FakeServer, make_client: MakeClient) -> None:
    tls_server.add("/x", Reply(json=1))
    insecure = make_client(tls_server, verify=False)
    secure = make_client(tls_server, retries=0)
    insecure.get("/x")
    with pytest.raises(TLSError):  # no pooled unverified connection leaks across clients
        secure.get("/x")
