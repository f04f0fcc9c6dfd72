"""The OAuth 2 device flow (RFC 8628) against oauthlib's server on loopback, on a FakeClock."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from apiclient import (
    APIClient,
    AsyncAPIClient,
    AuthError,
    FileTokenStore,
    OAuth2DeviceCode,
    OAuth2RefreshToken,
)
from apiclient.testing import FakeClock, FakeServer
from apiclient.testing.oauth import AuthorizationServer, RegisteredClient
from apiclient.transports.urllib3 import Urllib3Transport


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def oauth(tls_server: FakeServer, clock: FakeClock) -> AuthorizationServer:
    clients = [RegisteredClient("cli", None), RegisteredClient("tv", "tv-s3cret")]
    return AuthorizationServer(tls_server, clients, clock)


@pytest.fixture(params=["sync", "async"])
def run(request: pytest.FixtureRequest, ca_file: Path) -> Any:
    """Start and wait on a flow, with the sync or the async driver (each test runs on both)."""

    def start_and_wait(flow: OAuth2DeviceCode, **wait: Any) -> tuple[Any, OAuth2RefreshToken]:
        if request.param == "sync":
            transport = Urllib3Transport(ca_certs=str(ca_file))
            started = flow.start(transport=transport)
            return started, flow.wait(started, transport=transport, **wait)

        async def both() -> tuple[Any, OAuth2RefreshToken]:
            async with AsyncAPIClient(base_url="https://127.0.0.1/", ca_certs=str(ca_file)) as api:
                started = await flow.start_async(transport=api.transport)
                return started, await flow.wait_async(started, transport=api.transport, **wait)

        return asyncio.run(both())

    return start_and_wait


def device_flow(oauth: AuthorizationServer, clock: FakeClock, **options: Any) -> OAuth2DeviceCode:
    return OAuth2DeviceCode(
        oauth.device_authorization_url, oauth.token_url, "cli", scope="read", clock=clock,
        **options,
    )  # fmt: skip


def test_pending_then_slow_down_then_approved(
    oauth: AuthorizationServer, clock: FakeClock, run: Any, tls_server: FakeServer, ca_file: Path
) -> None:
    oauth.devices.slow_down_on = {2}
    oauth.devices.approve(after_polls=3)
    started, auth = run(device_flow(oauth, clock))
    assert started.verification_uri == tls_server.url + "device"
    complete = f"{started.verification_uri}?user_code={started.user_code}"
    assert started.verification_uri_complete == complete
    assert started.interval == 5 and started.expires_in == 1800
    assert "device_code" not in repr(started) and started.device_code not in repr(started)
    # poll 1 pending, poll 2 slow_down (the interval becomes 10 s), poll 3 pending, 4 granted
    assert clock.sleeps == [5.0, 5.0, 10.0, 10.0]
    assert isinstance(auth, OAuth2RefreshToken) and auth.token is not None
    with APIClient(base_url=tls_server.url, auth=auth, ca_certs=str(ca_file)) as api:
        assert api.get("/api/me") == {"user": "alice", "client": "cli"}


def test_a_denied_request_is_an_auth_error(
    oauth: AuthorizationServer, clock: FakeClock, run: Any
) -> None:
    oauth.devices.deny(after_polls=1)
    with pytest.raises(AuthError) as refused:
        run(device_flow(oauth, clock))
    assert refused.value.error == "access_denied"
    assert clock.sleeps == [5.0, 5.0]


def test_a_device_code_left_pending_expires(
    oauth: AuthorizationServer, clock: FakeClock, run: Any
) -> None:
    oauth.devices.expires_in = 30
    with pytest.raises(AuthError) as expired:
        run(device_flow(oauth, clock))
    assert expired.value.error == "expired_token"
    assert clock.sleeps == [5.0] * 6  # polled until the 30 s ran out, never past them


def test_the_server_saying_expired_token_ends_the_wait(
    oauth: AuthorizationServer, clock: FakeClock, run: Any
) -> None:
    oauth.devices.expires_in = 12
    flow = device_flow(oauth, clock)
    starting = flow.starting

    def believing_it_lasts_longer() -> Any:  # a client whose idea of the expiry is off
        started = yield from starting()
        return replace(started, expires_at=started.expires_at + 1800)

    flow.starting = believing_it_lasts_longer  # type: ignore[method-assign]
    with pytest.raises(AuthError) as expired:
        run(flow)
    assert expired.value.error == "expired_token"
    assert [a for code in oauth.devices.codes.values() for a in code.answers] == [
        "authorization_pending", "authorization_pending", "expired_token",
    ]  # fmt: skip


def test_the_callers_timeout_bounds_the_wait(
    oauth: AuthorizationServer, clock: FakeClock, run: Any
) -> None:
    with pytest.raises(AuthError, match="gave up") as gave_up:
        run(device_flow(oauth, clock), timeout=12)
    assert gave_up.value.error is None
    assert clock.sleeps == [5.0, 5.0]


def test_polling_faster_than_the_interval_is_slowed_down_by_the_server(
    oauth: AuthorizationServer, clock: FakeClock, ca_file: Path
) -> None:
    """A client that ignored the interval would be told slow_down: the fake enforces it."""
    oauth.devices.approve(after_polls=1)
    flow = device_flow(oauth, clock)
    transport = Urllib3Transport(ca_certs=str(ca_file))
    hurried = replace(flow.start(transport=transport), interval=1.0)
    flow.wait(hurried, transport=transport)
    assert clock.sleeps == [1.0, 1.0, 6.0]  # the second poll came too soon: 5 s slower


def test_a_confidential_client_and_the_token_callbacks(
    oauth: AuthorizationServer, clock: FakeClock, run: Any, tmp_path: Path
) -> None:
    saved: list[dict[str, Any]] = []
    store = FileTokenStore(tmp_path / "token.json")
    oauth.devices.approve()
    flow = OAuth2DeviceCode(
        oauth.device_authorization_url, oauth.token_url, "tv", "tv-s3cret",
        clock=clock, on_token=saved.append, store=store,
    )  # fmt: skip
    _, auth = run(flow)
    assert [t["access_token"] for t in saved] == [auth.token["access_token"]]  # type: ignore[index]
    stored = store.load()
    assert stored is not None and stored["refresh_token"] == saved[0]["refresh_token"]
    assert "tv-s3cret" not in repr(flow) and "tv-s3cret" not in repr(auth)
    assert oauth.store.token_requests == ["urn:ietf:params:oauth:grant-type:device_code"]


def test_a_refused_start_is_an_auth_error(
    oauth: AuthorizationServer, clock: FakeClock, ca_file: Path
) -> None:
    flow = OAuth2DeviceCode(oauth.device_authorization_url, oauth.token_url, "nobody", clock=clock)
    with pytest.raises(AuthError) as refused:
        flow.start(transport=Urllib3Transport(ca_certs=str(ca_file)))
    assert refused.value.error in ("invalid_client", "invalid_request")


def test_the_endpoint_must_be_https() -> None:
    with pytest.raises(ValueError, match="https"):
        OAuth2DeviceCode("http://auth.example/device", "https://auth.example/token", "cli")


def test_an_async_wait_given_only_a_sleep_measures_its_time_with_it(
    oauth: AuthorizationServer, ca_file: Path
) -> None:
    """The flow's clock and the awaited sleep are one: a fake sleep moves the expiry on."""
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    oauth.devices.expires_in = 30  # on the server's FakeClock, which nobody advances
    flow = OAuth2DeviceCode(oauth.device_authorization_url, oauth.token_url, "cli", sleep=sleep)

    async def main() -> None:
        async with AsyncAPIClient(base_url="https://127.0.0.1/", ca_certs=str(ca_file)) as api:
            started = await flow.start_async(transport=api.transport)
            await flow.wait_async(started, transport=api.transport, timeout=12)

    with pytest.raises(AuthError, match="gave up"):
        asyncio.run(main())
    assert waits == [5.0, 5.0]
