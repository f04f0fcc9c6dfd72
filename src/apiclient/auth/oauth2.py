"""OAuth 2 bearer tokens that fetch and refresh themselves (RFC 6749), on oauthlib.

Theory of operation: a token auth holds the current token and refreshes it when it is
missing, within ``leeway`` seconds of expiry, or once after a 401. Refreshing is
*single-flight*: the first caller to need it becomes the leader and sends the one token
request (as a ``Send`` effect, so sync and async clients share this code); every other
caller yields a ``Wait`` on the leader's event and then uses the new token, or gets the
leader's failure as an ``AuthError``. Token bodies are built and parsed by oauthlib.

A rotated refresh token is handed to ``on_token`` *before* it is used, so it can be saved;
if ``on_token`` raises, the request fails with that error and the old token is kept.
Tokens and secrets appear in no repr, log line or error message.
"""

from __future__ import annotations

import contextlib
import json as jsonlib
import logging
import threading
import time
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote

from apiclient.auth.base import AuthBase, AuthFlow
from apiclient.auth.basic import BasicAuth
from apiclient.effects import Call, Effect, Send, Wait
from apiclient.errors import AuthError, TransportError
from apiclient.models import Headers, Request, Response, is_text_codec
from apiclient.policies.timeouts import Timeouts

if TYPE_CHECKING:
    from apiclient.auth.token_store import TokenStore

log: logging.Logger = logging.getLogger("apiclient")

#: Token endpoint calls get their own limits: they are small and should be quick.
TOKEN_TIMEOUTS = Timeouts(connect=10.0, read=30.0, total=60.0)
MAX_TOKEN_RESPONSE_BYTES = 1024 * 1024
#: Refresh this many seconds before the token's stated expiry.
DEFAULT_LEEWAY = 30.0

T = TypeVar("T")
Token = dict[str, Any]
TokenCallback = Callable[[Token], object]


def _oauthlib() -> Any:
    try:
        import oauthlib.oauth2
        from oauthlib.oauth2.rfc6749 import parameters
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ImportError("OAuth 2 needs oauthlib: pip install 'apiclient[oauth]'") from exc
    return oauthlib.oauth2, parameters


class _Flight:
    """One refresh in progress: waiters block on ``done``; ``error`` if it failed."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.error: BaseException | None = None


class TokenEndpoint:
    """Where and how to ask for tokens: URL, client credentials, client authentication.

    ``auth_method`` is ``"client_secret_basic"`` (HTTP Basic, the default when there is a
    secret) or ``"client_secret_post"`` (credentials in the form body). The URL must be
    https unless ``allow_http=True``, which exists for local testing only.
    """

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str | None = None,
        *,
        auth_method: str = "client_secret_basic",
        allow_http: bool = False,
    ) -> None:
        if not token_url.startswith("https://") and not (
            allow_http and token_url.startswith("http://")
        ):
            raise ValueError("the token endpoint must be https (allow_http=True is for tests)")
        if auth_method not in ("client_secret_basic", "client_secret_post"):
            raise ValueError("auth_method is client_secret_basic or client_secret_post")
        self.token_url = token_url
        self.client_id = client_id
        self._client_secret = client_secret
        self.auth_method = auth_method

    def request(self, build: Callable[..., str], url: str | None = None) -> Request:
        """A token request whose body is made by ``build``, an oauthlib body builder.

        The builder gets the client authentication this endpoint uses: ``include_client_id``
        (the id goes in the body unless HTTP Basic carries it) and, for
        ``client_secret_post``, ``client_secret``. ``url`` is another endpoint of the same
        server that authenticates clients the same way (RFC 8628's device endpoint).
        """
        headers = Headers(
            {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
        )
        basic = self._client_secret is not None and self.auth_method == "client_secret_basic"
        extra: dict[str, Any] = {"include_client_id": not basic}
        if self._client_secret is not None and not basic:
            extra["client_secret"] = self._client_secret
        request = Request("POST", url or self.token_url, headers, build(**extra).encode())
        if basic:
            # RFC 6749 section 2.3.1: form-encode the credentials, then HTTP Basic.
            assert self._client_secret is not None
            encoded = BasicAuth(quote(self.client_id, safe=""), quote(self._client_secret, safe=""))
            request = encoded.apply(request)
        return request

    def exchange(
        self, request: Request, clock: Callable[[], float]
    ) -> Generator[Effect, Any, Token]:
        """Send a token request and parse the token (``expires_at`` on ``clock``)."""
        try:
            response: Response = yield Send(request, TOKEN_TIMEOUTS, MAX_TOKEN_RESPONSE_BYTES)
        except TransportError as exc:
            raise AuthError(f"the token endpoint could not be reached: {exc.message}") from None
        return parse_token(response, clock)

    @property
    def client_secret(self) -> str | None:
        """The client secret (for scrubbing; never printed)."""
        return self._client_secret

    def __repr__(self) -> str:
        return f"TokenEndpoint({self.token_url!r}, client_id={self.client_id!r})"


def parse_token(response: Response, clock: Callable[[], float]) -> Token:
    """Parse a token response with oauthlib; anything wrong with it becomes ``AuthError``.

    An OAuth error (``invalid_grant``...) keeps its code in ``AuthError.error``; a body
    that is not a well-formed token (not a JSON object, a field of the wrong type, an
    expiry that is not a finite number of seconds) is refused as malformed.
    """
    _, parameters = _oauthlib()
    from oauthlib.oauth2.rfc6749.errors import OAuth2Error

    try:
        token = dict(parameters.parse_token_response(_token_object_text(response)))
    except OAuth2Error as exc:
        code = exc.error if isinstance(exc.error, str) and exc.error.isprintable() else None
        if code is None:
            raise AuthError("malformed token response (an error that is not a code)") from None
        raise AuthError(
            f"the token endpoint refused: {code[:80]}", error=code, status=response.status
        ) from None
    except (ValueError, KeyError, TypeError, AttributeError, OverflowError) as exc:
        raise AuthError(f"malformed token response ({type(exc).__name__})") from None
    _check_token_fields(token)
    if "expires_in" in token:
        token["expires_at"] = clock() + float(token["expires_in"])
    return token


def _token_object_text(response: Response) -> str:
    """The body, if it is a JSON object or not JSON at all (a form: oauthlib reads both)."""
    charset = response.charset
    if charset is not None and not is_text_codec(charset):
        raise AuthError("malformed token response (a charset Python does not know)")
    text = response.text
    try:
        value = jsonlib.loads(text)
    except (ValueError, RecursionError):
        return text
    if not isinstance(value, dict):
        raise AuthError("malformed token response (not a JSON object)")
    return text


def _check_token_fields(token: Token) -> None:
    access, kind = token.get("access_token"), token.get("token_type")
    if not isinstance(access, str) or not access:
        raise AuthError("malformed token response (no access_token string)")
    if not isinstance(kind, str):
        raise AuthError("malformed token response (token_type is not a string)")
    if kind.lower() != "bearer":
        raise AuthError("the token endpoint returned a token that is not a bearer token")
    refresh = token.get("refresh_token")
    if refresh is not None and (not isinstance(refresh, str) or not refresh):
        raise AuthError("malformed token response (refresh_token is not a string)")
    if "expires_in" in token:
        expires_in = token["expires_in"]
        if (
            isinstance(expires_in, bool)
            or not isinstance(expires_in, (int, float))
            or not 0 <= expires_in < 10**9
        ):
            raise AuthError("malformed token response (expires_in is not a number of seconds)")


class OAuth2Bearer(AuthBase):
    """Base of token auths: holds the token, refreshes it single-flight, sends it."""

    def __init__(
        self,
        endpoint: TokenEndpoint,
        token: Token | None = None,
        *,
        scope: str | list[str] | None = None,
        on_token: TokenCallback | None = None,
        leeway: float = DEFAULT_LEEWAY,
        clock: Callable[[], float] = time.time,
        refresh_wait: float = 60.0,
        store: TokenStore | None = None,
    ) -> None:
        self.endpoint: TokenEndpoint = endpoint
        #: Where processes sharing this token keep it (``RedisTokenStore``, ...), or None.
        self.store = store
        self._loaded = store is None  # the stored token is read on first use
        self.scope: str | None = " ".join(scope) if isinstance(scope, list) else scope
        self.on_token = on_token
        self.leeway = leeway
        self._clock = clock
        self._refresh_wait = refresh_wait
        self._token: Token | None = dict(token) if token else None
        self._lock = threading.Lock()
        self._flight: _Flight | None = None
        #: How many token requests this auth has sent (for monitoring and tests).
        self.refresh_count: int = 0

    @property
    def token(self) -> Token | None:
        """A copy of the current token (to save it), or None before the first fetch."""
        return dict(self._token) if self._token else None

    def secrets(self) -> frozenset[str]:
        """The client secret and the current access and refresh tokens."""
        token = self._token or {}
        found = {token.get("access_token"), token.get("refresh_token")}
        found.add(self.endpoint.client_secret)
        return frozenset(s for s in found if isinstance(s, str) and s)

    def _expired(self, token: Token | None) -> bool:
        if token is None or not token.get("access_token"):
            return True
        expires_at = token.get("expires_at")
        return expires_at is not None and float(expires_at) - self.leeway <= self._clock()

    def prepare(self, request: Request) -> AuthFlow:
        """Refresh first if the token is missing or about to expire, then add it."""
        token = self._token
        if not self._loaded:
            token = yield from self._adopt_stored(token)
        if self._expired(token):
            token = yield from self._refresh(stale=token)
        assert token is not None
        return self.with_header(request, "Authorization", f"Bearer {token['access_token']}")

    def on_unauthorized(self, request: Request, response: Response) -> Generator[Effect, Any, bool]:
        """After a 401: refresh once (unless another caller already did), then retry."""
        token = self._token
        sent = request.headers.get("Authorization", "")
        if token is not None and sent != f"Bearer {token.get('access_token')}":
            return True  # someone refreshed since this request was sent: just retry
        if not self._can_refresh(token):
            return False
        yield from self._refresh(stale=token)
        return True

    def _refresh(self, stale: Token | None) -> Generator[Effect, Any, Token]:
        with self._lock:
            if self._token is not stale and not self._expired(self._token):
                assert self._token is not None
                return self._token  # refreshed by another caller meanwhile
            flight, leader = self._flight, self._flight is None
            if flight is None:
                flight = self._flight = _Flight()
        if not leader:
            finished = yield Wait(flight.done, self._refresh_wait)
            if flight.error is not None:  # the leader's failure, with its OAuth error code
                cause = flight.error
                raise AuthError(
                    f"token refresh failed: {_describe(cause)}",
                    error=cause.error if isinstance(cause, AuthError) else None,
                    status=cause.status if isinstance(cause, AuthError) else 0,
                )
            if not finished or self._token is None:
                raise AuthError("timed out waiting for another caller's token refresh")
            return self._token
        try:
            token = yield from (
                self._fetch_new(stale) if self.store is None else self._shared(stale)
            )
            self._token = token
            return token
        except BaseException as exc:
            flight.error = exc
            raise
        finally:
            with self._lock:
                self._flight = None
            flight.done.set()

    def _fetch_new(self, stale: Token | None) -> Generator[Effect, Any, Token]:
        """A token request; the new token goes to ``on_token`` before it is used."""
        self.refresh_count += 1
        token = yield from self._fetch(stale)
        if self.on_token is not None:
            self.on_token(dict(token))  # before use: a rotated token must be saved first
        return token

    def _adopt_stored(self, token: Token | None) -> Generator[Effect, Any, Token | None]:
        """On first use: the stored token, if there is one (it may be newer than ours)."""
        stored = yield Call(self.store, "load")
        self._loaded = True
        if stored and (stored.get("access_token") or stored.get("refresh_token")):
            with self._lock:
                self._token = token = stored
        return token

    def _shared(self, stale: Token | None) -> Generator[Effect, Any, Token]:
        """Refresh under the store's lock, unless another process just did (see token_store)."""
        return (yield from self._locked(lambda lock: self._under_lock(stale, lock)))

    def publish(self, token: Token) -> Generator[Effect, Any, None]:
        """Store a token got outside a refresh (a user's sign-in) as the fleet's token."""

        def save(lock: Any) -> Generator[Effect, Any, None]:
            yield Call(self.store, "save", (dict(token), lock))

        yield from self._locked(save)

    def _locked(
        self, work: Callable[[Any], Generator[Effect, Any, T]]
    ) -> Generator[Effect, Any, T]:
        """``work(lock)`` under the store's lock, let go of afterwards however it ends."""
        lock = yield Call(self.store, "lock", (self._refresh_wait,), waits=True)
        if lock is None:
            raise AuthError("timed out waiting for another process's token refresh")
        try:
            result = yield from work(lock)
        except GeneratorExit:
            raise  # closed: no more effects; the lock's time runs out
        except BaseException:
            yield from self._unlock(lock)
            raise
        yield from self._unlock(lock)
        return result

    def _under_lock(self, stale: Token | None, lock: Any) -> Generator[Effect, Any, Token]:
        stored = yield Call(self.store, "load")
        if stored is not None and self._newer(stored, stale):
            return dict(stored)
        token = yield from self._fetch_new(stored or stale)
        try:
            yield Call(self.store, "save", (token, lock))
        except AuthError as exc:
            log.warning("%s; this process keeps it", exc.message)
        return token

    def _unlock(self, lock: Any) -> Generator[Effect, Any, None]:
        with contextlib.suppress(Exception):  # else the lock's time runs out by itself
            yield Call(self.store, "unlock", (lock,))

    def _newer(self, stored: Token, stale: Token | None) -> bool:
        """Whether ``stored`` is another process's fresh token rather than ours gone stale."""
        access = stored.get("access_token")
        return (
            bool(access)
            and access != (stale or {}).get("access_token")
            and not (self._expired(stored))
        )

    def _can_refresh(self, token: Token | None) -> bool:
        return True

    def _fetch(self, stale: Token | None) -> Generator[Effect, Any, Token]:
        raise NotImplementedError
        yield  # pragma: no cover

    def __repr__(self) -> str:
        return f"{type(self).__name__}(client_id={self.endpoint.client_id!r}, token=[redacted])"


def _describe(error: BaseException) -> str:
    return error.message if isinstance(error, AuthError) else type(error).__name__


class OAuth2ClientCredentials(OAuth2Bearer):
    """The client credentials grant: the client's own token, fetched and renewed as needed.

    ``OAuth2ClientCredentials(token_url, client_id, client_secret, scope="read")``.
    """

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        scope: str | list[str] | None = None,
        *,
        auth_method: str = "client_secret_basic",
        allow_http: bool = False,
        **options: Any,
    ) -> None:
        endpoint = TokenEndpoint(
            token_url, client_id, client_secret, auth_method=auth_method, allow_http=allow_http
        )
        super().__init__(endpoint, scope=scope, **options)

    def _fetch(self, stale: Token | None) -> Generator[Effect, Any, Token]:
        oauth2, _ = _oauthlib()
        client = oauth2.BackendApplicationClient(self.endpoint.client_id)
        request = self.endpoint.request(
            lambda **extra: client.prepare_request_body(scope=self.scope, **extra)
        )
        return (yield from self.endpoint.exchange(request, self._clock))


def _refreshable(
    access_token: str | None, refresh_token: str | None, expires_at: float | None
) -> Token:
    token: Token = {"token_type": "Bearer", "refresh_token": refresh_token}
    if access_token is not None:
        token["access_token"] = access_token
    if expires_at is not None:
        token["expires_at"] = float(expires_at)
    return token


class OAuth2RefreshToken(OAuth2Bearer):
    """An access token renewed with a refresh token (rotating ones reported to ``on_token``).

    ``OAuth2RefreshToken(token_url, client_id, client_secret=None, access_token=...,
    refresh_token=..., expires_at=..., on_token=save)``. The access token is used until it
    is within ``leeway`` of ``expires_at`` (epoch seconds), or until a 401; then the
    refresh token buys a new one. A revoked refresh token raises ``AuthError``.
    """

    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str | None = None,
        access_token: str | None = None,
        refresh_token: str | None = None,
        expires_at: float | None = None,
        on_token: TokenCallback | None = None,
        *,
        scope: str | list[str] | None = None,
        auth_method: str = "client_secret_basic",
        allow_http: bool = False,
        **options: Any,
    ) -> None:
        if refresh_token is None and access_token is None:
            raise ValueError("give an access_token, a refresh_token, or both")
        endpoint = TokenEndpoint(
            token_url, client_id, client_secret, auth_method=auth_method, allow_http=allow_http
        )
        token = _refreshable(access_token, refresh_token, expires_at)
        super().__init__(endpoint, token, scope=scope, on_token=on_token, **options)

    @classmethod
    def from_endpoint(
        cls, endpoint: TokenEndpoint, fetched: Token, **options: Any
    ) -> OAuth2RefreshToken:
        """The auth for a token just fetched from ``endpoint`` (the authorization code flow)."""
        auth = cls.__new__(cls)
        token = _refreshable(
            fetched["access_token"], fetched.get("refresh_token"), fetched.get("expires_at")
        )
        OAuth2Bearer.__init__(auth, endpoint, token, **options)
        return auth

    def _can_refresh(self, token: Token | None) -> bool:
        return bool(token and token.get("refresh_token"))

    def _fetch(self, stale: Token | None) -> Generator[Effect, Any, Token]:
        oauth2, _ = _oauthlib()
        refresh_token = (stale or self._token or {}).get("refresh_token")
        if not refresh_token:
            raise AuthError("the access token expired and there is no refresh token")
        client = oauth2.WebApplicationClient(self.endpoint.client_id)
        request = self.endpoint.request(
            # oauthlib's refresh builder, unlike the others, does not add the client's own id.
            lambda **extra: client.prepare_refresh_body(
                refresh_token=refresh_token,
                scope=self.scope,
                client_id=self.endpoint.client_id if extra["include_client_id"] else None,
                **extra,
            )
        )
        token = yield from self.endpoint.exchange(request, self._clock)
        token.setdefault("refresh_token", refresh_token)  # not rotated: keep the old one
        return token
