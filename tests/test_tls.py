"""TLS against a real server with certificates from a throwaway CA (trustme)."""

from __future__ import annotations

from pathlib import Path

import pytest

from apiclient import APIClient, ConnectError, TLSError
from apiclient.testing import FakeServer, Reply


class Secure(APIClient):
    BASE_URL = "https://placeholder.invalid/"


def test_verified_tls_with_a_private_ca(tls_server: FakeServer, ca_file: Path) -> None:
    tls_server.add("/x", Reply(json="secure"))
    with Secure(base_url=tls_server.url, ca_certs=str(ca_file)) as api:
        assert api.get("/x") == "secure"


def test_an_untrusted_certificate_is_refused_by_default(tls_server: FakeServer) -> None:
    tls_server.add("/x", Reply(json="secure"))
    with Secure(base_url=tls_server.url, retries=0) as api, pytest.raises(TLSError) as caught:
        api.get("/x")
    assert isinstance(caught.value, ConnectError)
    assert tls_server.requests == []


def test_the_ca_bundle_replaces_the_trust_store(tls_server: FakeServer, tmp_path: Path) -> None:
    import trustme

    other_ca = tmp_path / "other.pem"
    trustme.CA().cert_pem.write_to_path(str(other_ca))
    with (
        Secure(base_url=tls_server.url, ca_certs=str(other_ca), retries=0) as api,
        pytest.raises(TLSError),
    ):
        api.get("/x")


def test_verification_off_needs_an_argument_and_warns(
    tls_server: FakeServer, caplog: pytest.LogCaptureFixture
) -> None:
    tls_server.add("/x", Reply(json="unverified"))
    with caplog.at_level("WARNING", logger="apiclient"):
        api = Secure(base_url=tls_server.url, verify=False)
    assert "verification is OFF" in caplog.text
    with api:
        assert api.get("/x") == "unverified"


def test_tls_settings_are_fixed_per_client(tls_server: FakeServer, ca_file: Path) -> None:
    tls_server.add("/x", Reply(json=1))
    insecure = Secure(base_url=tls_server.url, verify=False)
    secure = Secure(base_url=tls_server.url, retries=0)
    with insecure, secure:
        insecure.get("/x")
        with pytest.raises(TLSError):  # no pooled unverified connection leaks across clients
            secure.get("/x")
