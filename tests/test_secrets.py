"""No secret in logs, exception text or args (the whole cause chain), reprs or pickles."""

from __future__ import annotations

import logging
import pickle
import traceback
from collections.abc import Callable

import pytest

from apiclient import (
    APIClient,
    APIKey,
    AsyncAPIClient,
    BasicAuth,
    BearerToken,
    ConnectError,
    NotFound,
)
from apiclient.testing import FakeServer, Reply
from apiclient.transports.curl import CurlTransport

from .conftest import Acme, AsyncKeyed, Keyed

SECRETS = ("t0ken-s3cret", "k3y-s3cret", "pa55-s3cret", "hdr-s3cret")
MakeClient = Callable[..., Acme]


def assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


def error_text(error: BaseException) -> str:
    """Everything an error shows: text, args, repr and pickle of it and its displayed causes."""
    parts = [pickle.dumps(error).decode("latin-1")]
    seen: BaseException | None = error
    while seen is not None:
        parts += ["".join(traceback.format_exception_only(seen)), repr(seen.args), repr(seen)]
        seen = seen.__cause__ or (None if seen.__suppress_context__ else seen.__context__)
    return "\n".join(parts)


def test_debug_logs_show_each_attempt_without_secrets(
    server: FakeServer, caplog: pytest.LogCaptureFixture, make_client: MakeClient
) -> None:
    server.add("/flaky", [Reply(503), Reply(json="ok")])
    api = make_client(server, api_key="k3y-s3cret", headers={"X-Custom-Auth": "hdr-s3cret"})
    with caplog.at_level(logging.DEBUG):
        assert api.call("/flaky", page=2, token="t0ken-s3cret") == "ok"
    assert_no_secret(caplog.text)
    attempts = [
        r.getMessage()
        for r in caplog.records
        if r.name == "apiclient" and r.levelno == logging.DEBUG
    ]
    assert len(attempts) == 2
    assert "GET" in attempts[0] and "-> 503" in attempts[0] and "attempt 1" in attempts[0]
    assert "page=2" in attempts[0] and "token=[redacted]" in attempts[0] and " ms " in attempts[0]
    if isinstance(api, APIClient) and not isinstance(api.transport, CurlTransport):
        # urllib3's own debug lines print the request target
        assert any(r.name.startswith("urllib3") for r in caplog.records)


def test_retries_and_server_pauses_are_logged_at_info_without_secrets(
    server: FakeServer, caplog: pytest.LogCaptureFixture, make_client: MakeClient
) -> None:
    server.add("/flaky", [Reply(503), Reply(json="ok")])
    server.add("/busy", [Reply(429, headers={"Retry-After": "2"}), Reply(json="ok")])
    api = make_client(server, api_key="k3y-s3cret", sleep=lambda s: None, clock=lambda: 0.0)
    with caplog.at_level(logging.INFO, logger="apiclient"):
        api.call("/flaky", token="t0ken-s3cret")
        api.call("/busy")
    assert_no_secret(caplog.text)
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert lines[0].startswith("GET http://127.0.0.1:")
    assert "/flaky?token=[redacted] got 503; retry 1 of 3 in " in lines[0]
    assert "/busy got 429; retry 1 of 3 in 2.00s" in lines[1]
    assert "/busy waits 2.0s: the server's rate limit (all callers wait)" in lines[2]


def test_status_errors_hold_no_secret(server: FakeServer, make_client: MakeClient) -> None:
    server.add("/missing", Reply(404, json={"error": "no"}))
    api = make_client(server, api_key="k3y-s3cret")
    with pytest.raises(NotFound) as caught:
        api.call("/missing", password="pa55-s3cret")
    assert_no_secret(error_text(caught.value))
    assert caught.value.request is not None
    assert_no_secret(repr(dict(caught.value.request.headers)))


def test_transport_errors_hold_no_secret(make_client: MakeClient) -> None:
    with FakeServer() as doomed:
        pass  # stopped: nothing listens on its port any more
    api = make_client(doomed, auth=BearerToken("t0ken-s3cret"), retries=0)
    with pytest.raises(ConnectError) as caught:
        api.call("/x", api_key="k3y-s3cret")
    assert_no_secret(error_text(caught.value))
    assert caught.value.__cause__ is None


def test_errors_survive_pickling_with_their_attributes(
    server: FakeServer, make_client: MakeClient
) -> None:
    server.add("/missing", Reply(404, json={"error": "no"}))
    with pytest.raises(NotFound) as caught:
        make_client(server).get("/missing")
    clone = pickle.loads(pickle.dumps(caught.value))
    assert (type(clone), clone.status, clone.body, str(clone)) == (
        NotFound,
        404,
        {"error": "no"},
        str(caught.value),
    )


@pytest.mark.parametrize(
    "auth",
    [
        BearerToken("t0ken-s3cret"),
        APIKey("k3y-s3cret"),
        APIKey("k3y-s3cret", param="key"),
        BasicAuth("ada", "pa55-s3cret"),
    ],
)
@pytest.mark.parametrize("client_class", [APIClient, AsyncAPIClient])
def test_auth_and_client_reprs_hide_secrets(auth: object, client_class: type[APIClient]) -> None:
    assert_no_secret(repr(auth))
    client = client_class(base_url="https://api.example/", auth=auth)  # type: ignore[arg-type]
    assert_no_secret(repr(client))
    assert "api.example" in repr(client)


@pytest.mark.parametrize(
    ("keyed", "plain"), [(Keyed, APIClient), (AsyncKeyed, AsyncAPIClient)], ids=["sync", "async"]
)
def test_shared_secret_repr_and_base_url_credentials_are_hidden(
    keyed: type[Keyed], plain: type[APIClient]
) -> None:
    assert_no_secret(repr(keyed("k3y-s3cret")))
    assert_no_secret(repr(plain(base_url="https://ada:pa55-s3cret@api.example/")))


def test_invalid_credentials_are_refused_without_echoing_them() -> None:
    with pytest.raises(ValueError) as caught:
        BearerToken("t0ken-s3cret\r\nX-Evil: 1")
    assert_no_secret(str(caught.value))
