"""The OAuth 2 device authorization grant (RFC 8628): sign a user in from a terminal.

    flow = OAuth2DeviceCode(device_authorization_url, token_url, client_id, scope="repo")
    started = flow.start()                       # or: await flow.start_async()
    print(f"Open {started.verification_uri} and enter {started.user_code}")
    auth = flow.wait(started)                    # an OAuth2RefreshToken, once they approve

``wait`` polls the token endpoint every ``interval`` seconds (the server's, 5 by default),
5 seconds slower after each ``slow_down``, until the user approves. ``access_denied`` and
``expired_token`` raise ``AuthError`` with that ``.error``; so does running out of the
device code's ``expires_in`` or of the caller's ``timeout``. The token feeds an
``OAuth2RefreshToken`` (rotation, ``on_token``, a fleet's ``store``). Bodies are built
with oauthlib's ``DeviceClient``; the device code is a credential and is never printed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from apiclient import driver
from apiclient.auth.oauth2 import (
    MAX_TOKEN_RESPONSE_BYTES,
    TOKEN_TIMEOUTS,
    OAuth2RefreshToken,
    Token,
    TokenCallback,
    TokenEndpoint,
    _oauthlib,
)
from apiclient.clocks import clock_and_sleeps
from apiclient.effects import Effect, Send, Sleep
from apiclient.errors import AuthError, DecodeError, TransportError
from apiclient.models import Response

if TYPE_CHECKING:
    from apiclient.auth.token_store import TokenStore

T = TypeVar("T")
GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"
#: RFC 8628 section 3.5: the interval when the server names none, and the slow_down step.
DEFAULT_INTERVAL = 5.0
SLOW_DOWN_STEP = 5.0


@dataclass(frozen=True)
class DeviceAuthorization:
    """What to tell the user (``user_code``, ``verification_uri``), and when it runs out."""

    user_code: str
    verification_uri: str
    verification_uri_complete: str | None
    expires_in: float
    interval: float
    #: When the device code expires, on the flow's clock.
    expires_at: float
    device_code: str = field(repr=False)


class OAuth2DeviceCode:
    """Start a device authorization and wait for the user to approve it (see the module)."""

    def __init__(
        self,
        device_authorization_url: str,
        token_url: str,
        client_id: str,
        client_secret: str | None = None,
        *,
        scope: str | list[str] | None = None,
        auth_method: str = "client_secret_post",
        allow_http: bool = False,
        on_token: TokenCallback | None = None,
        store: TokenStore | None = None,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Any] | None = None,
    ) -> None:
        if not device_authorization_url.startswith("https://") and not (
            allow_http and device_authorization_url.startswith("http://")
        ):
            raise ValueError("the device authorization endpoint must be https")
        self.device_authorization_url = device_authorization_url
        self.scope: str | None = " ".join(scope) if isinstance(scope, list) else scope
        self.on_token, self.store = on_token, store
        self.endpoint: TokenEndpoint = TokenEndpoint(
            token_url, client_id, client_secret, auth_method=auth_method, allow_http=allow_http
        )
        # One clock for both drivers (on the wall clock by default: a token's expires_at is
        # epoch seconds); a sleep of None is the driver's own.
        self._clock, self._sleep, self._async_sleep = clock_and_sleeps(clock, sleep, time.time)

    # -- the flows (sync and async drivers run the same ones) ---------------------------

    def starting(self) -> Generator[Effect, Any, DeviceAuthorization]:
        """Ask for a device code and a user code (authenticated as at the token endpoint)."""

        def build(include_client_id: bool, **extra: Any) -> str:
            client_id = self.endpoint.client_id if include_client_id else None
            return _form(client_id=client_id, scope=self.scope, **extra)

        request = self.endpoint.request(build, url=self.device_authorization_url)
        try:
            response: Response = yield Send(request, TOKEN_TIMEOUTS, MAX_TOKEN_RESPONSE_BYTES)
        except TransportError as exc:
            message = f"the device authorization endpoint could not be reached: {exc.message}"
            raise AuthError(message) from None
        return _authorization(response, self._clock())

    def polling(
        self, started: DeviceAuthorization, timeout: float | None = None
    ) -> Generator[Effect, Any, OAuth2RefreshToken]:
        """Poll until the user decides, the device code expires or ``timeout`` passes."""
        oauth2, _ = _oauthlib()
        client = oauth2.DeviceClient(self.endpoint.client_id)
        give_up = started.expires_at
        if timeout is not None:
            give_up = min(give_up, self._clock() + timeout)
        interval = started.interval
        while True:
            if self._clock() + interval > give_up:
                raise _gave_up(started, self._clock())
            yield Sleep(interval)
            request = self.endpoint.request(
                lambda **extra: client.prepare_request_body(started.device_code, **extra)
            )
            try:
                token = yield from self.endpoint.exchange(request, self._clock)
            except AuthError as refused:
                if refused.error == "authorization_pending":
                    continue
                if refused.error == "slow_down":
                    interval += SLOW_DOWN_STEP
                    continue
                raise
            return (yield from self._granted(token))

    def _granted(self, token: Token) -> Generator[Effect, Any, OAuth2RefreshToken]:
        if self.on_token is not None:
            self.on_token(dict(token))
        auth = OAuth2RefreshToken.from_endpoint(
            self.endpoint, token, on_token=self.on_token, scope=self.scope, clock=self._clock,
            store=self.store,
        )  # fmt: skip
        if self.store is not None:  # the fleet's token: every process now uses this one
            yield from auth.publish(token)
        return auth

    # -- running them -------------------------------------------------------------------

    def start(self, *, transport: Any = None) -> DeviceAuthorization:
        """Ask for the codes to show the user (``transport``: e.g. ``api.transport``)."""
        return self._run(self.starting(), transport)

    def wait(
        self,
        started: DeviceAuthorization,
        *,
        timeout: float | None = None,
        transport: Any = None,
    ) -> OAuth2RefreshToken:
        """Poll until the user approves; the token's auth (``AuthError`` otherwise)."""
        return self._run(self.polling(started, timeout), transport)

    async def start_async(self, *, transport: Any = None) -> DeviceAuthorization:
        """``start`` for asyncio (``transport``: e.g. an ``AsyncAPIClient``'s)."""
        return await self._run_async(self.starting(), transport)

    async def wait_async(
        self,
        started: DeviceAuthorization,
        *,
        timeout: float | None = None,
        transport: Any = None,
    ) -> OAuth2RefreshToken:
        """``wait`` for asyncio: the polls are awaited."""
        return await self._run_async(self.polling(started, timeout), transport)

    def _run(self, flow: Generator[Effect, Any, T], transport: Any) -> T:
        if transport is not None:
            return driver.run(flow, driver.sync_transport(transport), self._sleep or time.sleep)
        from apiclient.transports.urllib3 import Urllib3Transport

        own = Urllib3Transport()
        try:
            return driver.run(flow, own, self._sleep or time.sleep)
        finally:
            own.close()

    async def _run_async(self, flow: Generator[Effect, Any, T], transport: Any) -> T:
        sleep = self._async_sleep
        if transport is not None:
            return await driver.run_async(flow, transport, sleep)
        from apiclient.transports.aiohttp import AiohttpTransport

        own = AiohttpTransport()
        try:
            return await driver.run_async(flow, own, sleep)
        finally:
            await own.aclose()

    def __repr__(self) -> str:
        return f"OAuth2DeviceCode(client_id={self.endpoint.client_id!r})"


def _form(**fields: Any) -> str:
    from urllib.parse import urlencode

    return urlencode({name: value for name, value in fields.items() if value is not None})


def _authorization(response: Response, now: float) -> DeviceAuthorization:
    """The device authorization response, checked (RFC 8628 section 3.2)."""
    try:
        body = response.json()
    except (DecodeError, ValueError):
        body = None
    if response.status != 200 or not isinstance(body, dict):
        error = body.get("error") if isinstance(body, dict) else None
        code = error if isinstance(error, str) and error.isprintable() else None
        raise AuthError(
            f"the device authorization endpoint refused: {code or response.status}"[:120],
            error=code, status=response.status,
        )  # fmt: skip
    fields = ("device_code", "user_code", "verification_uri")
    if not all(isinstance(body.get(name), str) and body[name] for name in fields):
        raise AuthError("malformed device authorization response (a code or the URI is missing)")
    expires_in = _seconds(body.get("expires_in"))
    interval = _seconds(body.get("interval", DEFAULT_INTERVAL))
    complete = body.get("verification_uri_complete")
    return DeviceAuthorization(
        user_code=body["user_code"], verification_uri=body["verification_uri"],
        verification_uri_complete=complete if isinstance(complete, str) else None,
        expires_in=expires_in, interval=interval, expires_at=now + expires_in,
        device_code=body["device_code"],
    )  # fmt: skip


def _seconds(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1e6:
        raise AuthError("malformed device authorization response (expires_in or interval)")
    return float(value)


def _gave_up(started: DeviceAuthorization, now: float) -> AuthError:
    if now + started.interval > started.expires_at:
        return AuthError("the device code expired before the user approved", error="expired_token")
    return AuthError("gave up waiting for the user to approve the device (timeout)")
