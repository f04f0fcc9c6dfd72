"""OAuth 2 through both clients' auth= against a real oauthlib authorization server (TLS)."""

from __future__ import annotations

import asyncio
import logging
import pickle
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import urllib3

from apiclient import (
    APIClient,
    AsyncAPIClient,
    AuthError,
    OAuth2AuthorizationCode,
    OAuth2ClientCredentials,
    OAuth2RefreshToken,
)
from apiclient.testing import FakeServer, Reply
from apiclient.testing.oauth import REDIRECT_URI, AuthorizationServer, RegisteredClient, WallClock

from .async_facade import SyncFacade

SECRETS = ("svc-s3cret", "app-s3cret")


@pytest.fixture
def wall() -> WallClock:
    return WallClock()


@pytest.fixture
def oauth(tls_server: FakeServer, wall: WallClock) -> AuthorizationServer:
    clients = [
        RegisteredClient("service", "svc-s3cret"),
        RegisteredClient("app", "app-s3cret"),
        RegisteredClient("spa", None),
    ]
    return AuthorizationServer(tls_server, clients, wall)


class Clients:
    """Clients for the authorization server's API, of the kind ``make_client`` makes."""

    def __init__(self, make_client: Callable[..., Any], server: FakeServer, ca_file: Path) -> None:
        self.make_client, self.server, self.ca_file = make_client, server, ca_file

    def __call__(self, auth: Any, **kwargs: Any) -> Any:
        return self.make_client(self.server, ca_certs=str(self.ca_file), auth=auth, **kwargs)

    def fetch_token(self, flow: OAuth2AuthorizationCode, callback: str) -> OAuth2RefreshToken:
        """Exchange the callback's code over a client of this kind (awaited when async)."""
        api = self(None)
        if isinstance(api, SyncFacade):
            coroutine = flow.fetch_token_async(callback, transport=api.client.transport)
            return api.run(coroutine)  # type: ignore[no-any-return]
        return flow.fetch_token(callback, transport=api.transport)

    def authorize_in_browser(self, url: str) -> str:
        """What the user's browser does: open the authorization URL, hand back the redirect."""
        assert url.startswith(self.server.url)
        browser = urllib3.PoolManager(ca_certs=str(self.ca_file))
        response = browser.request("GET", url, redirect=False)
        assert response.status == 302
        return str(response.headers["Location"])


@pytest.fixture
def api_for(make_client: Callable[..., Any], tls_server: FakeServer, ca_file: Path) -> Clients:
    """Clients for the authorization server's API, sync or async (each test runs on both)."""
    return Clients(make_client, tls_server, ca_file)


def code_flow(
    oauth: AuthorizationServer,
    wall: WallClock,
    client: str = "app",
    secret: str | None = "app-s3cret",
    **options: Any,
) -> OAuth2AuthorizationCode:
    """The authorization code flow of one of the test server's clients."""
    return OAuth2AuthorizationCode(
        oauth.authorize_url,
        oauth.token_url,
        client,
        secret,
        redirect_uri=REDIRECT_URI,
        clock=wall,
        **options,
    )


def tokens_for(oauth: AuthorizationServer, api_for: Clients, wall: WallClock) -> dict[str, Any]:
    """Get a refreshable token the way an app does: through the authorization code flow."""
    flow = code_flow(oauth, wall, scope="read")
    auth = api_for.fetch_token(flow, api_for.authorize_in_browser(flow.authorization_url()))
    return dict(auth.token or {})


def test_client_credentials_fetches_once_and_reuses(
    oauth: AuthorizationServer, api_for: Clients, wall: WallClock
) -> None:
    auth = OAuth2ClientCredentials(
        oauth.token_url, "service", "svc-s3cret", scope="read", clock=wall
    )
    api = api_for(auth)
    assert api.get("/api/me") == {"user": None, "client": "service"}
    assert api.get("/api/me")["client"] == "service"
    assert oauth.store.token_requests == ["client_credentials"]


def test_client_credentials_renews_before_expiry(
    oauth: AuthorizationServer, api_for: Clients, wall: WallClock
) -> None:
    oauth.expires_in = 60
    auth = OAuth2ClientCredentials(oauth.token_url, "service", "svc-s3cret", clock=wall, leeway=30)
    api = api_for(auth)
    api.get("/api/me")
    wall.now += 31  # inside the 30 s leeway: renewed before the request, no 401 seen
    api.get("/api/me")
    assert oauth.store.token_requests == ["client_credentials", "client_credentials"]
    assert [r.path for r in oauth.fake.requests].count("/api/me") == 2


@pytest.mark.parametrize("method", ["client_secret_basic", "client_secret_post"])
def test_token_endpoint_client_authentication(
    method: str, oauth: AuthorizationServer, api_for: Clients, wall: WallClock
) -> None:
    auth = OAuth2ClientCredentials(
        oauth.token_url, "service", "svc-s3cret", auth_method=method, clock=wall
    )
    assert api_for(auth).get("/api/me")["client"] == "service"
    token_request = oauth.fake.requests_to("/token")[0]
    assert ("Authorization" in token_request.headers) == (method == "client_secret_basic")


def test_wrong_client_secret_is_a_typed_error(
    oauth: AuthorizationServer, api_for: Clients, wall: WallClock
) -> None:
    auth = OAuth2ClientCredentials(oauth.token_url, "service", "wrong", clock=wall)
    with pytest.raises(AuthError) as caught:
        api_for(auth).get("/api/me")
    assert caught.value.error == "invalid_client"
    assert oauth.fake.requests_to("/api/me") == []


def test_authorization_code_with_pkce(
    oauth: AuthorizationServer, api_for: Clients, wall: WallClock
) -> None:
    saved: list[dict[str, Any]] = []
    flow = code_flow(oauth, wall, scope="read", on_token=saved.append)
    url = flow.authorization_url()
    assert "code_challenge_method=S256" in url and "state=" in url
    auth = api_for.fetch_token(flow, api_for.authorize_in_browser(url))
    assert isinstance(auth, OAuth2RefreshToken) and saved and saved[0]["refresh_token"]
    assert api_for(auth).get("/api/me") == {"user": "alice", "client": "app"}


def test_a_wrong_or_replayed_state_is_refused(
    oauth: AuthorizationServer, api_for: Clients, wall: WallClock
) -> None:
    flow = code_flow(oauth, wall)
    location = api_for.authorize_in_browser(flow.authorization_url())
    forged = location.replace("state=", "state=x")
    with pytest.raises(AuthError, match="state"):
        api_for.fetch_token(flow, forged)
    api_for.fetch_token(flow, location)
    with pytest.raises(AuthError, match="state"):
        api_for.fetch_token(flow, location)  # single use
    assert oauth.store.token_requests == ["authorization_code"]


def test_public_client_with_pkce_only(
    oauth: AuthorizationServer, api_for: Clients, wall: WallClock
) -> None:
    flow = code_flow(oauth, wall, client="spa", secret=None)
    auth = api_for.fetch_token(flow, api_for.authorize_in_browser(flow.authorization_url()))
    assert api_for(auth).get("/api/me")["client"] == "spa"


def refreshable(
    oauth: AuthorizationServer, api_for: Clients, wall: WallClock, **kwargs: Any
) -> OAuth2RefreshToken:
    token = tokens_for(oauth, api_for, wall)
    oauth.store.token_requests.clear()
    return OAuth2RefreshToken(
        oauth.token_url,
        "app",
        "app-s3cret",
        access_token=token["access_token"],
        refresh_token=token["refresh_token"],
        expires_at=token["expires_at"],
        clock=wall,
        **kwargs,
    )


def test_refresh_before_expiry(
    oauth: AuthorizationServer, api_for: Clients, wall: WallClock
) -> None:
    auth = refreshable(oauth, api_for, wall)
    api = api_for(auth)
    api.get("/api/me")
    wall.now += 600  # expired by the client's clock: refreshed before sending
    assert api.get("/api/me")["user"] == "alice"
    assert oauth.store.token_requests == ["refresh_token"]


def test_refresh_once_on_401_then_retry(
    oauth: AuthorizationServer, api_for: Clients, wall: WallClock
) -> None:
    auth = refreshable(oauth, api_for, wall)
    api = api_for(auth)
    oauth.revoke_access_tokens()  # the server stops accepting a token the client thinks valid
    assert api.get("/api/me")["user"] == "alice"
    assert oauth.store.token_requests == ["refresh_token"]
    assert len(oauth.fake.requests_to("/api/me")) == 2  # the 401, then the retry


def test_a_401_after_refreshing_is_raised_not_looped(
    oauth: AuthorizationServer, api_for: Clients, wall: WallClock
) -> None:
    from apiclient import Unauthorized

    auth = refreshable(oauth, api_for, wall)
    oauth.fake.add("GET /api/forbidden-forever", Reply(401))
    with pytest.raises(Unauthorized):
        api_for(auth).get("/api/forbidden-forever")
    assert oauth.store.token_requests == ["refresh_token"]  # refreshed once, then gave up


def test_rotation_is_reported_to_on_token_before_use(
    oauth: AuthorizationServer, api_for: Clients, wall: WallClock
) -> None:
    saved: list[dict[str, Any]] = []
    auth = refreshable(oauth, api_for, wall, on_token=saved.append)
    old_refresh = auth.token["refresh_token"] if auth.token else None
    wall.now += 600
    api_for(auth).get("/api/me")
    assert len(saved) == 1 and saved[0]["refresh_token"] != old_refresh
    assert auth.token is not None and auth.token["refresh_token"] == saved[0]["refresh_token"]
    assert old_refresh not in oauth.store.refresh  # the server rotated it out


def test_a_failing_on_token_fails_the_request_and_keeps_the_old_token(
    oauth: AuthorizationServer, api_for: Clients, wall: WallClock
) -> None:
    def refuse(token: dict[str, Any]) -> None:
        raise OSError("disk full")

    auth = refreshable(oauth, api_for, wall, on_token=refuse)
    before = auth.token
    wall.now += 600
    with pytest.raises(OSError, match="disk full"):
        api_for(auth).get("/api/me")
    assert auth.token == before
    assert oauth.fake.requests_to("/api/me") == []


def test_twenty_threads_share_one_refresh(
    oauth: AuthorizationServer, api_for: Clients, wall: WallClock
) -> None:
    auth = refreshable(oauth, api_for, wall)
    api = api_for(auth, pool_maxsize=20)
    wall.now += 600
    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(lambda _: api.get("/api/me")["user"], range(20)))
    assert results == ["alice"] * 20
    assert oauth.store.token_requests == ["refresh_token"]


class ArrivalBarrier:
    """A wall clock whose first reading in each thread waits for every thread's first.

    The token auth reads its clock to decide that the token has expired, so once the
    barrier opens every caller has decided to refresh: without single-flight each would
    send a token request, whatever the scheduling.
    """

    def __init__(self, wall: WallClock, parties: int) -> None:
        self._wall = wall
        self._barrier = threading.Barrier(parties)
        self._local = threading.local()

    def __call__(self) -> float:
        if not getattr(self._local, "arrived", False):
            self._local.arrived = True
            self._barrier.wait(timeout=60)
        return self._wall()


def revoked_and_expired(
    oauth: AuthorizationServer, tls_server: FakeServer, ca_file: Path, wall: WallClock, clock: Any
) -> OAuth2RefreshToken:
    """A refresh token auth whose access token has expired and whose refresh token is revoked."""
    token = tokens_for(oauth, Clients(_sync_client, tls_server, ca_file), wall)
    oauth.revoke_refresh_tokens()
    wall.now += 600
    return OAuth2RefreshToken(
        oauth.token_url, "app", "app-s3cret", clock=clock,
        access_token=token["access_token"], refresh_token=token["refresh_token"],
        expires_at=token["expires_at"],
    )  # fmt: skip


def test_a_revoked_refresh_token_fails_every_waiter_with_the_leaders_error(
    oauth: AuthorizationServer, wall: WallClock, ca_file: Path, tls_server: FakeServer
) -> None:
    auth = revoked_and_expired(oauth, tls_server, ca_file, wall, ArrivalBarrier(wall, 5))
    before = len(oauth.fake.requests_to("/token"))
    api = _sync_client(tls_server, ca_certs=str(ca_file), auth=auth, pool_maxsize=5)

    def call(_: int) -> object:
        try:
            api.get("/api/me")
        except AuthError as error:
            return error.error
        return "ok"

    with ThreadPoolExecutor(5) as pool:
        outcomes = list(pool.map(call, range(5)))
    assert outcomes == ["invalid_grant"] * 5  # the leader's code, for every waiter too
    assert len(oauth.fake.requests_to("/token")) == before + 1  # one request for all five
    assert oauth.fake.requests_to("/api/me") == []


def test_async_tasks_share_one_failed_refresh_and_its_error(
    oauth: AuthorizationServer, wall: WallClock, ca_file: Path, tls_server: FakeServer
) -> None:
    auth = revoked_and_expired(oauth, tls_server, ca_file, wall, wall)
    before = len(oauth.fake.requests_to("/token"))

    async def scenario() -> list[object]:
        async with AsyncAPIClient(base_url=tls_server.url, ca_certs=str(ca_file), auth=auth) as api:
            # All five start before the leader's token request can be answered.
            results = await asyncio.gather(
                *(api.get("/api/me") for _ in range(5)), return_exceptions=True
            )
        return [r.error if isinstance(r, AuthError) else r for r in results]

    assert asyncio.run(scenario()) == ["invalid_grant"] * 5
    assert len(oauth.fake.requests_to("/token")) == before + 1


def _sync_client(server: FakeServer, **kwargs: Any) -> APIClient:
    return APIClient(base_url=server.url, **kwargs)


@pytest.mark.parametrize(
    "body",
    [
        b"[1, 2]",
        b"null",
        b'"a string"',
        b'{"access_token": "t0k3n-abc", "token_type": "Bearer", "scope": 5}',
        b'{"access_token": "t0k3n-abc", "token_type": "Bearer", "expires_in": 1e400}',
        b'{"access_token": "t0k3n-abc", "token_type": "Bearer", "expires_in": -5}',
        b'{"access_token": 5, "token_type": "Bearer"}',
        b'{"access_token": "t0k3n-abc", "token_type": 7}',
        b'{"error": 5}',
    ],
    ids=[
        "list",
        "null",
        "string",
        "scope-int",
        "expires-inf",
        "expires-negative",
        "token-int",
        "type-int",
        "error-int",
    ],
)
def test_a_malformed_token_response_is_an_auth_error(
    make_client: Callable[..., Any], server: FakeServer, body: bytes
) -> None:
    server.add("POST /token", Reply(body=body, headers={"Content-Type": "application/json"}))
    server.add("/api/me", Reply(json="me"))
    auth = OAuth2ClientCredentials(server.url + "token", "id", "s3cret-xyz", allow_http=True)
    with pytest.raises(AuthError, match="malformed"):
        make_client(server, auth=auth).get("/api/me")
    assert server.requests_to("/api/me") == []


def test_a_token_response_in_an_unknown_charset_is_an_auth_error(
    make_client: Callable[..., Any], server: FakeServer
) -> None:
    body = b'{"access_token": "t0k3n-abc", "token_type": "Bearer"}'
    content_type = {"Content-Type": "application/json; charset=x-nope"}
    server.add("POST /token", Reply(body=body, headers=content_type))
    server.add("/api/me", Reply(json="me"))
    auth = OAuth2ClientCredentials(server.url + "token", "id", "s3cret-xyz", allow_http=True)
    with pytest.raises(AuthError, match="charset"):  # not a LookupError
        make_client(server, auth=auth).get("/api/me")
    assert server.requests_to("/api/me") == []


def test_no_secret_or_token_in_logs_errors_or_reprs(
    oauth: AuthorizationServer, api_for: Clients, wall: WallClock, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        auth = refreshable(oauth, api_for, wall)
        token = auth.token or {}
        wall.now += 600
        api_for(auth).get("/api/me")
    secrets = [
        *SECRETS,
        token["access_token"],
        token["refresh_token"],
        *(t for t in (auth.token or {}).values() if isinstance(t, str) and len(t) > 20),
    ]
    bad = OAuth2ClientCredentials(oauth.token_url, "service", "wrong", clock=wall)
    with pytest.raises(AuthError) as caught:
        api_for(bad).get("/api/me")
    # Client-side log lines only: the test server's own oauthlib logs tokens it issues.
    client_side = [
        r.getMessage()
        for r in caplog.records
        if not r.name.startswith("oauthlib.oauth2.rfc6749.grant_types")
        and not r.name.startswith("oauthlib.oauth2.rfc6749.endpoints")
        and not r.name.startswith("oauthlib.oauth2.rfc6749.tokens")
    ]
    assert any(r.name == "apiclient" for r in caplog.records)
    text = (
        "\n".join(client_side)
        + repr(auth)
        + repr(bad)
        + str(caught.value)
        + pickle.dumps(caught.value).decode("latin-1")
    )
    for secret in secrets:
        assert secret not in text


def test_credentials_never_follow_a_redirect_elsewhere(
    oauth: AuthorizationServer, api_for: Clients, wall: WallClock, other_tls_server: FakeServer
) -> None:
    other_server = other_tls_server
    oauth.fake.add("GET /api/moved", Reply(302, headers={"Location": other_server.url + "x"}))
    other_server.add("/x", Reply(json="elsewhere"))
    auth = OAuth2ClientCredentials(oauth.token_url, "service", "svc-s3cret", clock=wall)
    api_for(auth).get("/api/moved")
    assert "Authorization" not in other_server.requests[0].headers


def test_the_token_endpoint_must_be_https() -> None:
    with pytest.raises(ValueError, match="https"):
        OAuth2ClientCredentials("http://auth.example/token", "id", "secret")
    OAuth2ClientCredentials("http://127.0.0.1:1/token", "id", "secret", allow_http=True)


def test_a_sync_token_exchange_given_an_async_transport_says_what_to_use(
    oauth: AuthorizationServer, wall: WallClock
) -> None:
    from apiclient import AsyncAPIClient, OAuth1Flow

    transport = AsyncAPIClient(base_url=oauth.fake.url).transport
    flow = code_flow(oauth, wall)
    callback = f"{REDIRECT_URI}?code=abc&state=x"
    with pytest.raises(TypeError, match="_async variant"):
        flow.fetch_token(callback, transport=transport)  # type: ignore[arg-type]
    one = OAuth1Flow(
        "key",
        "secret",
        request_token_url=oauth.token_url,
        authorize_url="x",
        access_token_url=oauth.token_url,
    )
    with pytest.raises(TypeError, match="_async variant"):
        one.fetch_request_token(transport)  # type: ignore[arg-type]
    assert oauth.fake.requests == []
