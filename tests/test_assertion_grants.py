"""JWT bearer (RFC 7523) and token exchange (RFC 8693) against the test server, both clients."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from apiclient import AuthError, OAuth2JWTBearer, OAuth2TokenExchange
from apiclient.testing import FakeClock, FakeServer
from apiclient.testing.oauth import AuthorizationServer, RegisteredClient

from .conftest import Acme

MakeClient = Callable[..., Acme]


def key_pair() -> tuple[bytes, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())  # fmt: skip
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private, public


PRIVATE, PUBLIC = key_pair()
STRANGER, _ = key_pair()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def oauth(tls_server: FakeServer, clock: FakeClock) -> AuthorizationServer:
    server = AuthorizationServer(tls_server, [RegisteredClient("svc@proj", None)], clock)
    server.assertions.trust_key("svc@proj", PUBLIC)
    return server


def client_for(make_client: MakeClient, server: FakeServer, ca_file: Path, **kw: Any) -> Acme:
    return make_client(server, ca_certs=str(ca_file), sleep=None, **kw)


def test_a_signed_assertion_buys_a_token_and_a_new_one_renews_it(
    oauth: AuthorizationServer, clock: FakeClock, make_client: MakeClient,
    tls_server: FakeServer, ca_file: Path,
) -> None:  # fmt: skip
    oauth.expires_in = 600
    auth = OAuth2JWTBearer(oauth.token_url, private_key=PRIVATE, issuer="svc@proj",
                           subject="alice", clock=clock)  # fmt: skip
    api = client_for(make_client, tls_server, ca_file, auth=auth, clock=clock)
    assert api.get("/api/me") == {"user": "alice", "client": "svc@proj"}
    assert api.get("/api/me")["user"] == "alice"
    clock.advance(600)  # expired: a fresh assertion (a new jti) buys the next token
    api.get("/api/me")
    assert oauth.store.token_requests == [
        "urn:ietf:params:oauth:grant-type:jwt-bearer"
    ] * 2 and len(oauth.assertions.seen_jti) == 2  # fmt: skip
    assert "PRIVATE KEY" not in repr(auth)


def test_an_assertion_signed_by_another_key_is_refused(
    oauth: AuthorizationServer, clock: FakeClock, make_client: MakeClient,
    tls_server: FakeServer, ca_file: Path,
) -> None:  # fmt: skip
    auth = OAuth2JWTBearer(oauth.token_url, private_key=STRANGER, issuer="svc@proj",
                           subject="alice", clock=clock)  # fmt: skip
    api = client_for(make_client, tls_server, ca_file, auth=auth, clock=clock)
    with pytest.raises(AuthError) as refused:
        api.get("/api/me")
    assert refused.value.error == "invalid_grant"
    assert "PRIVATE KEY" not in str(refused.value)


def test_a_subject_token_is_exchanged_and_read_again_for_each_exchange(
    oauth: AuthorizationServer, clock: FakeClock, make_client: MakeClient,
    tls_server: FakeServer, ca_file: Path, tmp_path: Path,
) -> None:  # fmt: skip
    token_file = tmp_path / "token"  # as Kubernetes projects a service account token
    token_file.write_text("k8s-sa-token-1\n")
    oauth.assertions.trust_subject_token("k8s-sa-token-1", "builder", "svc@proj")
    oauth.assertions.trust_subject_token("k8s-sa-token-2", "builder", "svc@proj")
    oauth.expires_in = 60
    auth = OAuth2TokenExchange(
        oauth.token_url, subject_token=token_file.read_text, audience="https://api.example",
        clock=clock,
    )  # fmt: skip
    api = client_for(make_client, tls_server, ca_file, auth=auth, clock=clock)
    assert api.get("/api/me") == {"user": "builder", "client": "svc@proj"}
    token_file.write_text("k8s-sa-token-2\n")  # rotated on disk
    clock.advance(60)
    assert api.get("/api/me")["user"] == "builder"
    assert [e["audience"] for e in oauth.assertions.exchanges] == ["https://api.example"] * 2
    assert oauth.assertions.exchanges[0]["subject_token_type"].endswith("token-type:jwt")
    assert "k8s-sa-token" not in repr(auth)
    assert "k8s-sa-token-2" in auth.secrets()


def test_an_untrusted_subject_token_is_refused(
    oauth: AuthorizationServer, clock: FakeClock, make_client: MakeClient,
    tls_server: FakeServer, ca_file: Path,
) -> None:  # fmt: skip
    auth = OAuth2TokenExchange(oauth.token_url, subject_token="forged-token", clock=clock)
    api = client_for(make_client, tls_server, ca_file, auth=auth, clock=clock)
    with pytest.raises(AuthError) as refused:
        api.get("/api/me")
    assert refused.value.error == "invalid_grant" and "forged-token" not in str(refused.value)


def test_an_actor_token_needs_its_type() -> None:
    with pytest.raises(ValueError, match="actor_token_type"):
        OAuth2TokenExchange("https://auth.example/token", subject_token="s", actor_token="a")
