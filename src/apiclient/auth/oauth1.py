"""OAuth 1.0a (RFC 5849): every request signed by oauthlib, and the three-legged flow.

``OAuth1(client_key, client_secret, resource_owner_key, resource_owner_secret)`` signs
with HMAC-SHA1 by default (``signature_method="HMAC-SHA256"`` or ``"PLAINTEXT"`` on
request), in the ``Authorization`` header by default (``signature_type="QUERY"`` puts it in
the query). As RFC 5849 section 3.4.1.3 says, a form-encoded body is part of the signature;
a JSON or multipart body is not. Each attempt is signed afresh (new nonce and timestamp).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any
from urllib.parse import parse_qsl

from apiclient import driver
from apiclient.auth.base import AuthBase
from apiclient.effects import Effect, Send
from apiclient.errors import AuthError, TransportError
from apiclient.models import Headers, Request, Response
from apiclient.policies.timeouts import Timeouts
from apiclient.transports.base import AsyncTransport, Transport

_FORM = "application/x-www-form-urlencoded"
_QUERY_CREDENTIALS = frozenset(
    {
        "oauth_consumer_key",
        "oauth_token",
        "oauth_signature",
        "oauth_signature_method",
        "oauth_timestamp",
        "oauth_nonce",
        "oauth_version",
        "oauth_callback",
        "oauth_verifier",
    }
)


def _client_class() -> Any:
    try:
        from oauthlib.oauth1 import Client
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ImportError("OAuth 1 needs oauthlib: pip install 'apiclient[oauth]'") from exc
    return Client


class OAuth1(AuthBase):
    """Sign each request with OAuth 1.0a."""

    def __init__(
        self,
        client_key: str,
        client_secret: str | None = None,
        resource_owner_key: str | None = None,
        resource_owner_secret: str | None = None,
        *,
        signature_method: str = "HMAC-SHA1",
        signature_type: str = "AUTH_HEADER",
        callback_uri: str | None = None,
        verifier: str | None = None,
        realm: str | None = None,
    ) -> None:
        self.client_key = client_key
        self.signature_method = signature_method
        self._client = _client_class()(
            client_key,
            client_secret=client_secret,
            resource_owner_key=resource_owner_key,
            resource_owner_secret=resource_owner_secret,
            signature_method=signature_method,
            signature_type=signature_type,
            callback_uri=callback_uri,
            verifier=verifier,
            realm=realm,
        )
        self.credential_params: frozenset[str] = (
            _QUERY_CREDENTIALS if signature_type.upper() == "QUERY" else frozenset()
        )
        self._secrets = frozenset(
            s for s in (client_secret, resource_owner_key, resource_owner_secret) if s
        )

    def secrets(self) -> frozenset[str]:
        """The client secret, the token and its secret."""
        return self._secrets

    def apply(self, request: Request) -> Request:
        """Sign ``request`` (with its body when that body is a form)."""
        form = request.headers.get("Content-Type", "").split(";")[0].strip() == _FORM
        body = request.body if form and isinstance(request.body, bytes) else None
        headers = {k: v for k, v in request.headers.items() if k.lower() != "authorization"}
        if form:
            headers["Content-Type"] = _FORM
        url, signed_headers, _ = self._client.sign(
            request.url, http_method=request.method, body=body, headers=headers
        )
        merged = request.headers.copy()
        for name, value in signed_headers.items():
            merged[name] = value
        return Request(request.method, url, merged, request.body)

    def __repr__(self) -> str:
        return f"OAuth1(client_key={self.client_key!r}, {self.signature_method}, [redacted])"


class OAuth1Flow:
    """The three-legged flow: request token, user authorization, access token.

    flow = OAuth1Flow(client_key, client_secret, request_token_url=...,
                      authorize_url=..., access_token_url=..., callback_uri=...)
    flow.fetch_request_token(api.transport)
    url = flow.authorization_url()            # send the user here
    auth = flow.fetch_access_token(verifier, api.transport)   # an OAuth1 auth

    With an ``AsyncAPIClient``, await ``fetch_request_token_async`` and
    ``fetch_access_token_async`` instead.
    """

    def __init__(
        self,
        client_key: str,
        client_secret: str,
        *,
        request_token_url: str,
        authorize_url: str,
        access_token_url: str,
        callback_uri: str = "oob",
        signature_method: str = "HMAC-SHA1",
    ) -> None:
        self.client_key = client_key
        self._client_secret = client_secret
        self.request_token_url = request_token_url
        self.authorize_url = authorize_url
        self.access_token_url = access_token_url
        self.callback_uri = callback_uri
        self.signature_method = signature_method
        self._owner_key: str | None = None
        self._owner_secret: str | None = None

    def fetch_request_token(self, transport: Transport) -> dict[str, str]:
        """Step 1: obtain a temporary credential (``oauth_token``) for this flow."""
        return driver.run(self._request_token(), driver.sync_transport(transport))

    async def fetch_request_token_async(self, transport: AsyncTransport) -> dict[str, str]:
        """``fetch_request_token`` for asyncio (an ``AsyncAPIClient``'s transport)."""
        return await driver.run_async(self._request_token(), transport)

    def authorization_url(self) -> str:
        """Step 2: where to send the user to authorize the temporary credential."""
        if self._owner_key is None:
            raise AuthError("fetch_request_token() first")
        separator = "&" if "?" in self.authorize_url else "?"
        return f"{self.authorize_url}{separator}oauth_token={self._owner_key}"

    def fetch_access_token(self, verifier: str, transport: Transport) -> OAuth1:
        """Step 3: trade the verifier for token credentials; return an ``OAuth1`` auth."""
        return driver.run(self._access_token(verifier), driver.sync_transport(transport))

    async def fetch_access_token_async(self, verifier: str, transport: AsyncTransport) -> OAuth1:
        """``fetch_access_token`` for asyncio (an ``AsyncAPIClient``'s transport)."""
        return await driver.run_async(self._access_token(verifier), transport)

    def _request_token(self) -> Generator[Effect, Any, dict[str, str]]:
        signer = OAuth1(
            self.client_key,
            self._client_secret,
            callback_uri=self.callback_uri,
            signature_method=self.signature_method,
        )
        reply = yield from self._post(self.request_token_url, signer)
        if reply.get("oauth_callback_confirmed") != "true":
            raise AuthError("the server did not confirm the callback (oauth_callback_confirmed)")
        self._owner_key, self._owner_secret = reply["oauth_token"], reply["oauth_token_secret"]
        return {"oauth_token": self._owner_key}

    def _access_token(self, verifier: str) -> Generator[Effect, Any, OAuth1]:
        if self._owner_key is None:
            raise AuthError("fetch_request_token() first")
        signer = OAuth1(
            self.client_key,
            self._client_secret,
            self._owner_key,
            self._owner_secret,
            verifier=verifier,
            signature_method=self.signature_method,
        )
        reply = yield from self._post(self.access_token_url, signer)
        return OAuth1(
            self.client_key,
            self._client_secret,
            reply["oauth_token"],
            reply["oauth_token_secret"],
            signature_method=self.signature_method,
        )

    @staticmethod
    def _post(url: str, signer: OAuth1) -> Generator[Effect, Any, dict[str, str]]:
        """POST a signed token request; the reply's form fields, or ``AuthError``."""
        request = signer.apply(Request("POST", url, Headers({"Accept": "*/*"}), None))
        try:
            response: Response = yield Send(request, Timeouts(), 1024 * 1024)
        except TransportError as exc:
            raise AuthError(f"the OAuth endpoint could not be reached: {exc.message}") from None
        if response.status >= 400:
            raise AuthError(
                f"the OAuth endpoint refused ({response.status})", status=response.status
            )
        reply = dict(parse_qsl(response.text))
        if "oauth_token" not in reply or "oauth_token_secret" not in reply:
            raise AuthError("the OAuth endpoint's reply has no oauth_token / oauth_token_secret")
        return reply

    def __repr__(self) -> str:
        return f"OAuth1Flow(client_key={self.client_key!r})"
