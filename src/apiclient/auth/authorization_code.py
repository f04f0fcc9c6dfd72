"""The authorization code grant with PKCE (RFC 6749 section 4.1, RFC 7636), on oauthlib.

    flow = OAuth2AuthorizationCode(authorize_url, token_url, client_id,
                                   redirect_uri="https://app.example/callback", scope="read")
    url = flow.authorization_url()          # send the user here
    ...                                      # they come back to redirect_uri?code=...&state=...
    auth = flow.fetch_token(callback_url, transport=api.transport)  # an OAuth2RefreshToken
    auth = await flow.fetch_token_async(callback_url, transport=api.transport)  # AsyncAPIClient

Each authorization URL gets a fresh ``state`` from a CSPRNG and a fresh PKCE verifier (S256).
The returned ``state`` is compared in constant time, and accepted once: a replayed or forged
callback is refused with ``AuthError`` before any token request is made.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable, Generator
from typing import Any
from urllib.parse import parse_qs, urlsplit

from apiclient import driver
from apiclient.auth.oauth2 import OAuth2RefreshToken, TokenCallback, TokenEndpoint, _oauthlib
from apiclient.effects import Effect
from apiclient.errors import AuthError
from apiclient.transports.base import AsyncTransport, Transport

#: Authorization URLs handed out and not yet used, kept at most (oldest forgotten first).
MAX_PENDING = 16


class OAuth2AuthorizationCode:
    """Build authorization URLs and exchange the returned code for tokens."""

    def __init__(
        self,
        authorize_url: str,
        token_url: str,
        client_id: str,
        client_secret: str | None = None,
        *,
        redirect_uri: str,
        scope: str | list[str] | None = None,
        auth_method: str = "client_secret_basic",
        allow_http: bool = False,
        on_token: TokenCallback | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.authorize_url = authorize_url
        self.redirect_uri = redirect_uri
        self.scope: str | None = " ".join(scope) if isinstance(scope, list) else scope
        self.on_token = on_token
        self._clock = clock
        self.endpoint: TokenEndpoint = TokenEndpoint(
            token_url, client_id, client_secret, auth_method=auth_method, allow_http=allow_http
        )
        self._pending: OrderedDict[str, str] = OrderedDict()  # state -> PKCE verifier

    def authorization_url(self) -> str:
        """A URL to send the user to, with a fresh ``state`` and PKCE challenge (S256)."""
        oauth2, _ = _oauthlib()
        client = oauth2.WebApplicationClient(self.endpoint.client_id)
        state = secrets.token_urlsafe(32)
        verifier = client.create_code_verifier(64)
        challenge = client.create_code_challenge(verifier, "S256")
        self._pending[state] = verifier
        while len(self._pending) > MAX_PENDING:
            self._pending.popitem(last=False)
        url: str = client.prepare_request_uri(
            self.authorize_url,
            redirect_uri=self.redirect_uri,
            scope=self.scope,
            state=state,
            code_challenge=challenge,
            code_challenge_method="S256",
        )
        return url

    def exchange(self, callback_url: str) -> Generator[Effect, Any, OAuth2RefreshToken]:
        """The code exchange as a flow of effects (run by ``fetch_token`` or an async driver)."""
        code, verifier = self._check_callback(callback_url)
        oauth2, _ = _oauthlib()
        client = oauth2.WebApplicationClient(self.endpoint.client_id)

        def build(**extra: Any) -> str:
            body: str = client.prepare_request_body(
                code=code, redirect_uri=self.redirect_uri, code_verifier=verifier, **extra
            )
            return body

        token = yield from self.endpoint.exchange(self.endpoint.request(build), self._clock)
        if self.on_token is not None:
            self.on_token(dict(token))
        return OAuth2RefreshToken.from_endpoint(
            self.endpoint, token, on_token=self.on_token, scope=self.scope, clock=self._clock
        )

    def fetch_token(self, callback_url: str, *, transport: Transport) -> OAuth2RefreshToken:
        """Check the callback's ``state``, exchange its code, return the token auth.

        ``transport`` performs the token request, e.g. your client's: ``api.transport``.
        """
        return driver.run(self.exchange(callback_url), driver.sync_transport(transport))

    async def fetch_token_async(
        self, callback_url: str, *, transport: AsyncTransport
    ) -> OAuth2RefreshToken:
        """``fetch_token`` for asyncio: ``transport`` is an ``AsyncAPIClient``'s."""
        return await driver.run_async(self.exchange(callback_url), transport)

    def _check_callback(self, callback_url: str) -> tuple[str, str]:
        query = {k: v[0] for k, v in parse_qs(urlsplit(callback_url).query).items()}
        returned = query.get("state", "")
        match = next(
            (s for s in list(self._pending) if hmac.compare_digest(s.encode(), returned.encode())),
            None,
        )
        if match is None:
            raise AuthError("the callback's state does not match an authorization request")
        verifier = self._pending.pop(match)  # single use
        if "error" in query:
            raise AuthError(f"authorization was refused: {query['error']}", error=query["error"])
        if not query.get("code"):
            raise AuthError("the callback carries no authorization code")
        return query["code"], verifier

    def __repr__(self) -> str:
        return f"OAuth2AuthorizationCode(client_id={self.endpoint.client_id!r})"
