"""The JWT bearer (RFC 7523) and token exchange (RFC 8693) grants of the test server.

oauthlib's server has neither, so these are small and faithful: a JWT assertion is checked
with PyJWT (RS256 signature by the issuer's trusted key, ``aud`` the token endpoint,
``exp`` and ``iat`` on the server's clock, ``iss``, ``sub``, a ``jti`` used once); a
subject token must be one the test trusted, of the type it was trusted as. Either way the
token is issued by oauthlib's ``BearerToken`` and stored like every other, so the
protected routes accept it. Refusals are RFC 6749 error responses (``invalid_grant``...).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from oauthlib.common import Request as OAuthRequest
from oauthlib.oauth2 import BearerToken

from apiclient.testing.server import Reply

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"


@dataclass(frozen=True)
class TrustedToken:
    """A subject token the server exchanges: for whom, for which client, of what type."""

    user: str
    client_id: str
    token_type: str


class AssertionGrants:
    """Serves the two grants on the server's token endpoint (see the module)."""

    def __init__(self, validator: Any, clock: Callable[[], float], expires_in: Callable[[], int]):
        self.validator = validator
        self.clock = clock
        self.keys: dict[str, bytes] = {}  # issuer -> public key (PEM)
        self.subject_tokens: dict[str, TrustedToken] = {}
        self.seen_jti: set[str] = set()
        #: What each exchange asked for (audience, resource, requested type, actor...).
        self.exchanges: list[dict[str, str]] = []
        self.bearer = BearerToken(validator, expires_in=lambda request: expires_in())

    def trust_key(self, issuer: str, public_key_pem: bytes) -> None:
        """Accept assertions signed by ``issuer`` (a registered client id) with this key."""
        self.keys[issuer] = public_key_pem

    def trust_subject_token(
        self, token: str, user: str, client_id: str,
        token_type: str = "urn:ietf:params:oauth:token-type:jwt",
    ) -> None:  # fmt: skip
        """Exchange ``token`` for an access token of ``user`` held by ``client_id``."""
        self.subject_tokens[token] = TrustedToken(user, client_id, token_type)

    def handles(self, body: bytes) -> bool:
        """Whether a token request is one of these grants."""
        return parse_qs(body.decode()).get("grant_type", [""])[0] in (JWT_BEARER, TOKEN_EXCHANGE)

    def serve(self, body: bytes, token_url: str) -> Reply:
        """Answer a token request of either grant."""
        form = {key: values[0] for key, values in parse_qs(body.decode()).items()}
        if form["grant_type"] == JWT_BEARER:
            owner = self._asserted(form, token_url)
        else:
            owner = self._exchanged(form)
        if isinstance(owner, Reply):
            return owner
        client_id, user = owner
        request = OAuthRequest(token_url, "POST", body.decode())
        request.client = self.validator.clients[client_id]
        request.client_id, request.user = client_id, user
        request.scopes = form.get("scope", "read").split()
        request.grant_type = form["grant_type"]
        token = self.bearer.create_token(request, refresh_token=False)
        self.validator.save_bearer_token(token, request)
        if form["grant_type"] == TOKEN_EXCHANGE:
            token["issued_token_type"] = "urn:ietf:params:oauth:token-type:access_token"
        return Reply(json=dict(token), headers={"Cache-Control": "no-store"})

    def _asserted(self, form: dict[str, str], token_url: str) -> tuple[str, str] | Reply:
        import jwt

        try:
            unverified = jwt.decode(form.get("assertion", ""), options={"verify_signature": False})
            key = self.keys[unverified["iss"]]
            claims = jwt.decode(
                form["assertion"], key, algorithms=["RS256"], audience=token_url,
                options={"verify_exp": False, "verify_iat": False, "require": [
                    "iss", "sub", "aud", "exp", "iat"]},
            )  # fmt: skip
        except (KeyError, jwt.PyJWTError):
            return _refused("invalid_grant", "the assertion does not verify")
        now = self.clock()
        if claims["exp"] <= now or claims["iat"] > now + 60:
            return _refused("invalid_grant", "the assertion has expired")
        jti = claims.get("jti")
        if jti is None or jti in self.seen_jti:
            return _refused("invalid_grant", "the assertion was already used")
        self.seen_jti.add(jti)
        return claims["iss"], claims["sub"]

    def _exchanged(self, form: dict[str, str]) -> tuple[str, str] | Reply:
        trusted = self.subject_tokens.get(form.get("subject_token", ""))
        if trusted is None or form.get("subject_token_type") != trusted.token_type:
            return _refused("invalid_grant", "the subject token is not one this server trusts")
        if form.get("actor_token") and not form.get("actor_token_type"):
            return _refused("invalid_request", "actor_token without actor_token_type")
        self.exchanges.append({k: v for k, v in form.items() if not k.endswith("_token")})
        return trusted.client_id, trusted.user


def _refused(error: str, description: str) -> Reply:
    return Reply(400, body=json.dumps({"error": error, "error_description": description}),
                 headers={"Content-Type": "application/json"})  # fmt: skip
