"""A real OAuth 2 authorization server for testing OAuth clients (needs ``apiclient[oauth]``).

oauthlib's server side implements the grants (client credentials, refresh token with
rotation, authorization code with PKCE) and bearer validation; this module supplies the
in-memory storage it asks for (a ``RequestValidator``) and mounts its endpoints on a
``FakeServer`` (use a TLS one: token endpoints must be https): ``POST /token``,
``GET /authorize`` (auto-approves user "alice"), ``POST /device`` (RFC 8628; a test
approves or denies with ``devices.approve()`` / ``deny()``), the JWT bearer and token
exchange grants on ``POST /token`` (``assertions``), and a protected ``GET /api/me``. Token
lifetimes run on a clock you share with the client under test (a ``FakeClock``, or the
settable ``WallClock``)::

    clock = FakeClock()
    server = FakeServer(tls=context).start()
    oauth = AuthorizationServer(server, [RegisteredClient("app", "secret")], clock)
    auth = OAuth2ClientCredentials(oauth.token_url, "app", "secret", clock=clock)
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from oauthlib.common import Request as OAuthRequest
from oauthlib.oauth2 import RequestValidator, Server

from apiclient.testing import FakeServer, RecordedRequest, Reply
from apiclient.testing.oauth_assertions import AssertionGrants
from apiclient.testing.oauth_device import DEVICE_GRANT, DeviceAuthorizations

REDIRECT_URI = "https://app.example/callback"


class WallClock:
    """A settable wall clock (epoch seconds) for token expiry on both sides."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        """The current time."""
        return self.now


@dataclass
class RegisteredClient:
    """A client the server knows; ``secret=None`` makes it public (PKCE only)."""

    client_id: str
    secret: str | None
    scopes: tuple[str, ...] = ("read", "write")


@dataclass
class Store:
    """What the server has issued, and the grant type of each token request it granted."""

    access: dict[str, dict[str, Any]] = field(default_factory=dict)
    refresh: dict[str, dict[str, Any]] = field(default_factory=dict)
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    token_requests: list[str] = field(default_factory=list)  # grant type of each


class Validator(RequestValidator):
    """In-memory storage and checks for oauthlib's server."""

    def __init__(
        self, clients: list[RegisteredClient], clock: Callable[[], float], store: Store
    ) -> None:
        self.clients: dict[str, RegisteredClient] = {c.client_id: c for c in clients}
        self.clock = clock
        self.store: Store = store
        self.lock: threading.Lock = threading.Lock()

    # clients
    def client_authentication_required(self, request: OAuthRequest, *a: Any, **k: Any) -> bool:
        client = self.clients.get(self._basic(request)[0] or request.client_id or "")
        return client is None or client.secret is not None

    def authenticate_client(self, request: OAuthRequest, *a: Any, **k: Any) -> bool:
        client_id, secret = self._basic(request)
        if client_id is None:
            client_id, secret = request.client_id, request.client_secret
        client = self.clients.get(client_id or "")
        if client is None or client.secret is None or client.secret != secret:
            return False
        request.client = client
        request.client_id = client.client_id
        return True

    def authenticate_client_id(
        self, client_id: str, request: OAuthRequest, *a: Any, **k: Any
    ) -> bool:
        client = self.clients.get(client_id)
        if client is None or client.secret is not None:
            return False
        request.client = client
        return True

    def validate_client_id(self, client_id: str, request: OAuthRequest, *a: Any, **k: Any) -> bool:
        return client_id in self.clients

    def validate_grant_type(
        self, client_id: str, grant_type: str, client: Any, request: OAuthRequest, *a: Any, **k: Any
    ) -> bool:
        return True

    def validate_scopes(
        self,
        client_id: str,
        scopes: list[str],
        client: Any,
        request: OAuthRequest,
        *a: Any,
        **k: Any,
    ) -> bool:
        return set(scopes) <= set(self.clients[client_id].scopes)

    def get_default_scopes(
        self, client_id: str, request: OAuthRequest, *a: Any, **k: Any
    ) -> list[str]:
        return ["read"]

    # tokens
    def save_bearer_token(self, token: Any, request: OAuthRequest, *a: Any, **k: Any) -> None:
        with self.lock:
            self.store.token_requests.append(str(request.grant_type))
            owner = {
                "client_id": getattr(request.client, "client_id", None),
                "scopes": request.scopes,
                "user": getattr(request, "user", None),
            }
            self.store.access[token["access_token"]] = {
                **owner,
                "expires_at": self.clock() + token["expires_in"],
            }
            if request.grant_type == "refresh_token":
                self.store.refresh.pop(str(request.refresh_token), None)  # rotation: single use
            if "refresh_token" in token:
                self.store.refresh[token["refresh_token"]] = owner

    def validate_bearer_token(self, token: str, scopes: list[str], request: OAuthRequest) -> bool:
        entry = self.store.access.get(token or "")
        if (
            entry is None
            or entry["expires_at"] <= self.clock()
            or not set(scopes) <= set(entry["scopes"])
        ):
            return False
        request.user, request.scopes = entry["user"], entry["scopes"]
        request.client = self.clients[entry["client_id"]]
        return True

    def validate_refresh_token(
        self, refresh_token: str, client: Any, request: OAuthRequest, *a: Any, **k: Any
    ) -> bool:
        entry = self.store.refresh.get(refresh_token)
        if entry is None or entry["client_id"] != client.client_id:
            return False
        request.user = entry["user"]
        return True

    def get_original_scopes(
        self, refresh_token: str, request: OAuthRequest, *a: Any, **k: Any
    ) -> list[str]:
        return list(self.store.refresh[refresh_token]["scopes"])

    def is_within_original_scope(
        self,
        request_scopes: list[str],
        refresh_token: str,
        request: OAuthRequest,
        *a: Any,
        **k: Any,
    ) -> bool:
        return set(request_scopes) <= set(self.store.refresh[refresh_token]["scopes"])

    def rotate_refresh_token(self, request: OAuthRequest) -> bool:
        return True

    # authorization code + PKCE
    def validate_redirect_uri(
        self, client_id: str, redirect_uri: str, request: OAuthRequest, *a: Any, **k: Any
    ) -> bool:
        return redirect_uri == REDIRECT_URI

    def get_default_redirect_uri(
        self, client_id: str, request: OAuthRequest, *a: Any, **k: Any
    ) -> str:
        return REDIRECT_URI

    def validate_response_type(
        self,
        client_id: str,
        response_type: str,
        client: Any,
        request: OAuthRequest,
        *a: Any,
        **k: Any,
    ) -> bool:
        return response_type == "code"

    def is_pkce_required(self, client_id: str, request: OAuthRequest) -> bool:
        return True

    def save_authorization_code(
        self, client_id: str, code: Any, request: OAuthRequest, *a: Any, **k: Any
    ) -> None:
        self.store.codes[code["code"]] = {
            "client_id": client_id,
            "user": "alice",
            "scopes": request.scopes,
            "redirect_uri": request.redirect_uri,
            "challenge": request.code_challenge,
            "method": request.code_challenge_method,
        }

    def get_code_challenge(self, code: str, request: OAuthRequest) -> Any:
        entry = self.store.codes.get(code)
        return entry["challenge"] if entry else None

    def get_code_challenge_method(self, code: str, request: OAuthRequest) -> Any:
        entry = self.store.codes.get(code)
        return entry["method"] if entry else None

    def validate_code(
        self, client_id: str, code: str, client: Any, request: OAuthRequest, *a: Any, **k: Any
    ) -> bool:
        entry = self.store.codes.get(code)
        if entry is None or entry["client_id"] != client_id:
            return False
        request.user, request.scopes = entry["user"], entry["scopes"]
        return True

    def confirm_redirect_uri(
        self,
        client_id: str,
        code: str,
        redirect_uri: str,
        client: Any,
        request: OAuthRequest,
        *a: Any,
        **k: Any,
    ) -> bool:
        return self.store.codes.get(code, {}).get("redirect_uri") == redirect_uri

    def invalidate_authorization_code(
        self, client_id: str, code: str, request: OAuthRequest, *a: Any, **k: Any
    ) -> None:
        self.store.codes.pop(code, None)

    # device authorization (RFC 8628): the state is kept by ``DeviceAuthorizations``
    devices: Any = None

    def validate_device_code(
        self, client_id: str, code: str, request: OAuthRequest, *a: Any, **k: Any
    ) -> str | None:
        return None if self.devices is None else self.devices.status(client_id, code, request)

    @staticmethod
    def _basic(request: OAuthRequest) -> tuple[str | None, str | None]:
        header = str(request.headers.get("Authorization", "")) if request.headers else ""
        if not header.startswith("Basic "):
            return None, None
        client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
        return unquote(client_id), unquote(secret)


class AuthorizationServer:
    """oauthlib's server on a TLS ``FakeServer``; ``expires_in`` sets new tokens' lifetime."""

    def __init__(
        self,
        fake: FakeServer,
        clients: list[RegisteredClient],
        clock: Callable[[], float] | None = None,
    ) -> None:
        clock = clock or WallClock()
        self.fake = fake
        self.clock = clock
        self.store: Store = Store()
        self.validator: Validator = Validator(clients, clock, self.store)
        self.expires_in = 600
        self.server: Any = Server(self.validator, token_expires_in=lambda request: self.expires_in)
        #: RFC 8628: ``POST /device``, and the device codes (``devices.approve()``...).
        self.devices = DeviceAuthorizations(self.validator, fake.url, clock)
        self.validator.devices = self.devices
        self.server.grant_types[DEVICE_GRANT] = self.devices.grant  # (oauthlib's own table)
        fake.add("POST /device", lambda request: self.devices.serve(request, self._uri(request)))
        #: RFC 7523 and RFC 8693 (``assertions.trust_key()``, ``trust_subject_token()``).
        self.assertions = AssertionGrants(self.validator, clock, lambda: self.expires_in)
        fake.add("POST /token", self._token)
        fake.add("GET /authorize", self._authorize)
        fake.add("GET /api/me", self._resource)

    @property
    def token_url(self) -> str:
        """The token endpoint."""
        return self.fake.url + "token"

    @property
    def device_authorization_url(self) -> str:
        """The device authorization endpoint (RFC 8628)."""
        return self.fake.url + "device"

    @property
    def authorize_url(self) -> str:
        """The authorization endpoint."""
        return self.fake.url + "authorize"

    def revoke_access_tokens(self) -> None:
        """Make every access token invalid (the client will meet a 401)."""
        self.store.access.clear()

    def revoke_refresh_tokens(self) -> None:
        """Make every refresh token invalid (refreshing will fail with invalid_grant)."""
        self.store.refresh.clear()

    def _uri(self, request: RecordedRequest) -> str:
        return self.fake.url.rstrip("/") + request.target

    def _token(self, request: RecordedRequest) -> Reply:
        if self.assertions.handles(request.body):
            return self.assertions.serve(request.body, self.token_url)
        headers, body, status = self.server.create_token_response(
            self._uri(request), "POST", request.body.decode(), dict(request.headers)
        )
        return Reply(status, body=body or "", headers=headers)

    def _authorize(self, request: RecordedRequest) -> Reply:
        uri = self._uri(request)
        scopes, _ = self.server.validate_authorization_request(
            uri, "GET", None, dict(request.headers)
        )
        headers, body, status = self.server.create_authorization_response(
            uri, "GET", None, dict(request.headers), scopes=scopes, credentials={"user": "alice"}
        )
        return Reply(status, body=body or "", headers=headers)

    def protect(
        self,
        handler: Callable[[RecordedRequest, str | None], Reply],
        scopes: list[str] | None = None,
    ) -> Callable[[RecordedRequest], Reply]:
        """Wrap a route so it needs a valid bearer token; ``handler(request, user)`` answers."""

        def route(request: RecordedRequest) -> Reply:
            valid, checked = self.server.verify_request(
                self._uri(request),
                request.method,
                None,
                dict(request.headers),
                scopes=scopes or ["read"],
            )
            if not valid:
                return Reply(
                    401, json={"error": "invalid_token"}, headers={"WWW-Authenticate": "Bearer"}
                )
            return handler(request, checked.user)

        return route

    def _resource(self, request: RecordedRequest) -> Reply:
        return self.protect(
            lambda r, user: Reply(json={"user": user, "client": self._client_of(r)})
        )(request)

    def _client_of(self, request: RecordedRequest) -> str | None:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        entry = self.store.access.get(token)
        return entry["client_id"] if entry else None
