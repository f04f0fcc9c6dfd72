"""Tokens for workloads that prove who they are: JWT bearer (RFC 7523), token exchange (8693).

    auth = OAuth2JWTBearer(token_url, private_key=PEM, issuer="svc@proj", subject="svc@proj")
    auth = OAuth2TokenExchange(token_url, subject_token=lambda: Path(TOKEN_FILE).read_text(),
                               audience="https://api.example")

``OAuth2JWTBearer`` signs a short-lived assertion (RS256, through oauthlib's
``ServiceApplicationClient`` and PyJWT: ``pip install 'apiclient[jwt]'``) and trades it
for an access token, again whenever that token nears its expiry. ``OAuth2TokenExchange``
trades a token the workload already holds (a Kubernetes service account token, a CI
provider's OIDC token) for one of this API; ``subject_token`` may be a function, read
again for every exchange, since such tokens are rotated on disk. oauthlib has no builder
for RFC 8693, so its form is built here; the response is parsed by oauthlib like any
token. Neither grant has a refresh token: a new assertion or exchange renews the token.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Generator
from typing import Any
from urllib.parse import urlencode

from apiclient.auth.oauth2 import OAuth2Bearer, Token, TokenEndpoint, _oauthlib
from apiclient.effects import Effect

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
JWT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
#: An assertion's lifetime: long enough to reach the server, short enough to be useless later.
ASSERTION_LIFETIME = 300.0


class OAuth2JWTBearer(OAuth2Bearer):
    """The JWT bearer grant (RFC 7523 section 2.1): a signed assertion buys the token."""

    def __init__(
        self,
        token_url: str,
        *,
        private_key: str | bytes,
        issuer: str,
        subject: str,
        audience: str | None = None,
        client_id: str | None = None,
        scope: str | list[str] | None = None,
        extra_claims: dict[str, Any] | None = None,
        allow_http: bool = False,
        **options: Any,
    ) -> None:
        _require_jwt()
        endpoint = TokenEndpoint(token_url, client_id or issuer, None, allow_http=allow_http)
        super().__init__(endpoint, scope=scope, **options)
        self._send_client_id = client_id is not None  # (RFC 7523: client auth is optional)
        self._key = private_key
        self.issuer, self.subject = issuer, subject
        self.audience = audience or token_url
        self._claims = dict(extra_claims or {})

    def secrets(self) -> frozenset[str]:
        """The private key and the current token."""
        key = self._key.decode() if isinstance(self._key, bytes) else self._key
        return super().secrets() | {key}

    def _fetch(self, stale: Token | None) -> Generator[Effect, Any, Token]:
        oauth2, _ = _oauthlib()
        client = oauth2.ServiceApplicationClient(self.endpoint.client_id)
        now = self._clock()
        claims = {"jti": secrets.token_urlsafe(16), **self._claims}  # (single use)

        def build(include_client_id: bool, **extra: Any) -> str:
            body: str = client.prepare_request_body(
                private_key=self._key, subject=self.subject, issuer=self.issuer,
                audience=self.audience, issued_at=now, expires_at=now + ASSERTION_LIFETIME,
                extra_claims=claims, scope=self.scope,
                include_client_id=include_client_id and self._send_client_id,
            )  # fmt: skip
            return body

        return (yield from self.endpoint.exchange(self.endpoint.request(build), self._clock))


class OAuth2TokenExchange(OAuth2Bearer):
    """Token exchange (RFC 8693): trade the token the workload holds for this API's."""

    def __init__(
        self,
        token_url: str,
        *,
        subject_token: str | Callable[[], str],
        subject_token_type: str = JWT_TOKEN_TYPE,
        audience: str | None = None,
        resource: str | None = None,
        requested_token_type: str | None = None,
        actor_token: str | Callable[[], str] | None = None,
        actor_token_type: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        scope: str | list[str] | None = None,
        auth_method: str = "client_secret_basic",
        allow_http: bool = False,
        **options: Any,
    ) -> None:
        if actor_token is not None and actor_token_type is None:
            raise ValueError("an actor_token needs its actor_token_type")
        endpoint = TokenEndpoint(
            token_url, client_id or "", client_secret, auth_method=auth_method,
            allow_http=allow_http,
        )  # fmt: skip
        super().__init__(endpoint, scope=scope, **options)
        self._subject, self._actor = subject_token, actor_token
        self._fields = {
            "subject_token_type": subject_token_type, "audience": audience,
            "resource": resource, "requested_token_type": requested_token_type,
            "actor_token_type": actor_token_type,
        }  # fmt: skip
        self._last_sent: set[str] = set()

    def secrets(self) -> frozenset[str]:
        """The tokens held and sent, and the current token."""
        return super().secrets() | frozenset(self._last_sent | self._held())

    def _held(self) -> set[str]:
        return {t for t in (self._subject, self._actor) if isinstance(t, str) and t}

    def _fetch(self, stale: Token | None) -> Generator[Effect, Any, Token]:
        subject = self._subject() if callable(self._subject) else self._subject
        actor = self._actor() if callable(self._actor) else self._actor
        if not subject:
            raise ValueError("the subject token is empty")
        self._last_sent = {t.strip() for t in (subject, actor) if t}

        def build(include_client_id: bool, **extra: Any) -> str:
            fields = {
                "grant_type": TOKEN_EXCHANGE, "subject_token": subject.strip(),
                "actor_token": actor.strip() if actor else None, "scope": self.scope,
                "client_id": self.endpoint.client_id if include_client_id else None,
                **self._fields, **extra,
            }  # fmt: skip
            return urlencode({k: v for k, v in fields.items() if v})

        return (yield from self.endpoint.exchange(self.endpoint.request(build), self._clock))


def _require_jwt() -> None:
    try:
        import jwt  # noqa: F401
    except ImportError as exc:
        raise ImportError("OAuth2JWTBearer signs with PyJWT: pip install 'apiclient[jwt]'") from exc
