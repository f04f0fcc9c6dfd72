"""Cassettes: record against a real loopback server, replay with it stopped, no secret kept."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from apiclient import (
    APIClient,
    APIKey,
    AsyncAPIClient,
    BasicAuth,
    BearerToken,
    ConnectError,
    OAuth1,
    OAuth2ClientCredentials,
    ServiceUnavailable,
)
from apiclient.testing import (
    CassetteError,
    FakeServer,
    Reply,
    cassette,
    flaky,
    paged,
)
from apiclient.testing.oauth import AuthorizationServer, RegisteredClient

from .conftest import Acme

MakeClient = Callable[..., Acme]
CANARIES = (
    "canary-bearer-3f9a", "canary-key-77c1", "canary-pass-0b2e", "canary-consumer-5d-secret",
    "canary-owner-8e", "svc-canary-s3cret",
    "YWxpY2U6Y2FuYXJ5LXBhc3MtMGIyZQ==",  # alice:canary-pass-0b2e, as Basic auth sends it
)  # fmt: skip
ITEMS = [{"id": n} for n in range(7)]


def auth_kinds() -> dict[str, Callable[[], Any]]:
    return {
        "bearer": lambda: BearerToken("canary-bearer-3f9a"),
        "header key": lambda: APIKey("canary-key-77c1"),
        "query key": lambda: APIKey("canary-key-77c1", param="api_key"),
        "basic": lambda: BasicAuth("alice", "canary-pass-0b2e"),
        "oauth1": lambda: OAuth1(
            "consumer-5d", "canary-consumer-5d-secret", "canary-owner-8e", "canary-owner-8e-secret"
        ),
    }


def a_walk(api: Acme) -> dict[str, Any]:
    """What the tests do with a client: a plain call, a paginated walk, a retried call."""
    return {
        "me": api.get("/me", params={"q": "x"}),
        "walk": list(api.paginate("/items", params={"per_page": 3})),
        "retried": api.get("/flaky"),
        "posted": api.post("/notes", json={"text": "hello"}),
    }


def serve(server: FakeServer) -> None:
    server.add_routes({
        "GET /me": lambda request: Reply(
            json={"user": "alice", "echo": request.headers.get("authorization", "")},
            headers={"Set-Cookie": "session=canary-cookie-91; HttpOnly"},
        ),
        "GET /items": paged(ITEMS, per_page=3),
        "GET /flaky": flaky(Reply(json={"ok": True}), failures=2),
        "POST /notes": lambda request: Reply(201, json={"saved": request.json()}),
    })  # fmt: skip


def assert_clean(path: Path, *extra: str) -> None:
    text = path.read_text()
    for canary in (*CANARIES, "canary-cookie-91", *extra):
        assert canary not in text, f"{canary!r} was written to the cassette"


@pytest.mark.parametrize("kind", list(auth_kinds()))
def test_a_recording_keeps_no_secret_and_replays_without_the_server(
    server: FakeServer, make_client: MakeClient, tmp_path: Path, kind: str
) -> None:
    serve(server)
    tape = tmp_path / "walk.json"
    with cassette(tape):
        recorded = a_walk(make_client(server, auth=auth_kinds()[kind](), retries=3))
    assert_clean(tape)
    sent = len(server.requests)
    assert sent == 1 + 3 + 3 + 1  # (the flaky route failed twice)
    server.stop()
    with cassette(tape, "none"):
        replayed = a_walk(make_client(server, auth=auth_kinds()[kind](), retries=3))
    # The server echoed the credential it was sent: the tape has it scrubbed.
    echoed, replayed_echo = recorded["me"].pop("echo"), replayed["me"].pop("echo")
    assert (replayed_echo == "") == (echoed == "") and "canary" not in replayed_echo
    assert replayed == recorded
    assert len(server.requests) == sent


def test_an_oauth_client_credentials_recording_keeps_no_token(
    tls_server: FakeServer, make_client: MakeClient, ca_file: Path, tmp_path: Path
) -> None:
    oauth = AuthorizationServer(tls_server, [RegisteredClient("svc", "svc-canary-s3cret")])
    tape = tmp_path / "oauth.json"

    def call() -> Any:
        auth = OAuth2ClientCredentials(oauth.token_url, "svc", "svc-canary-s3cret")
        api = make_client(tls_server, auth=auth, ca_certs=str(ca_file))
        return [api.get("/api/me"), api.get("/api/me")]

    with cassette(tape):
        recorded = call()
    issued = [token for token in oauth.store.access]
    assert issued, "a token was issued"
    assert_clean(tape, *issued, *oauth.store.refresh)
    written = json.loads(tape.read_text())["interactions"]
    token_reply = written[0]["response"]["body"]["json"]
    assert token_reply["access_token"] == "[redacted]" and token_reply["expires_in"] > 0
    assert written[0]["request"]["headers"]["Authorization"] == "[redacted]"  # client's Basic
    tls_server.stop()
    with cassette(tape, "none"):
        assert call() == recorded


def test_a_request_the_tape_does_not_have_fails_loudly(
    server: FakeServer, make_client: MakeClient, tmp_path: Path
) -> None:
    serve(server)
    tape = tmp_path / "t.json"
    with cassette(tape):
        make_client(server).get("/me")
    with pytest.raises(CassetteError) as failure, cassette(tape):
        make_client(server).get("/elsewhere")
    assert "GET " in str(failure.value) and "/elsewhere" in str(failure.value)
    assert "unplayed:" in str(failure.value) and "/me" in str(failure.value)


def test_an_unplayed_interaction_fails_on_leaving(
    server: FakeServer, make_client: MakeClient, tmp_path: Path
) -> None:
    serve(server)
    tape = tmp_path / "t.json"
    with cassette(tape):
        api = make_client(server)
        api.get("/me")
        api.get("/items")
    unplayed = r"1 interaction\(s\) .* not played:\n  GET .*/items"
    with pytest.raises(CassetteError, match=unplayed), cassette(tape):
        make_client(server).get("/me")
    with cassette(tape, allow_unused=True):
        make_client(server).get("/me")


def test_the_body_can_be_part_of_the_match(
    server: FakeServer, make_client: MakeClient, tmp_path: Path
) -> None:
    serve(server)
    tape = tmp_path / "t.json"
    with cassette(tape, match_on=("method", "url", "body")):
        api = make_client(server)
        assert api.post("/notes", json={"text": "a"}) == {"saved": {"text": "a"}}
        assert api.post("/notes", json={"text": "b"}) == {"saved": {"text": "b"}}
    server.stop()
    with cassette(tape, "none", match_on=("method", "url", "body")):
        api = make_client(server)  # asked in the other order: each finds its own
        assert api.post("/notes", json={"text": "b"}) == {"saved": {"text": "b"}}
        assert api.post("/notes", json={"text": "a"}) == {"saved": {"text": "a"}}


def test_modes_none_new_episodes_and_all(
    server: FakeServer, make_client: MakeClient, tmp_path: Path
) -> None:
    serve(server)
    tape = tmp_path / "t.json"
    with pytest.raises(CassetteError, match="no cassette"), cassette(tape, "none"):
        pass
    with cassette(tape):
        make_client(server).get("/me")
    with cassette(tape, "new_episodes"):
        api = make_client(server)
        api.get("/me")  # replayed
        api.get("/items")  # recorded and added
    assert len(server.requests) == 2
    assert [e["request"]["url"].split("?")[0].rsplit("/", 1)[1]
            for e in json.loads(tape.read_text())["interactions"]] == ["me", "items"]  # fmt: skip
    with cassette(tape, "all"):
        make_client(server).get("/items")
    assert len(json.loads(tape.read_text())["interactions"]) == 1
    assert len(server.requests) == 3


EVENTS = b"id: 1\ndata: one\n\nid: 2\ndata: two\n\n"
FILE = bytes(range(256)) * 40


def serve_streams(server: FakeServer) -> None:
    server.add("GET /feed", Reply(body=EVENTS, headers={"Content-Type": "text/event-stream"}))
    server.add("GET /file", Reply(body=FILE, headers={"Content-Type": "application/octet-stream"}))


def test_streams_and_event_streams_replay(server: FakeServer, tmp_path: Path) -> None:
    serve_streams(server)
    tape = tmp_path / "t.json"

    def read() -> tuple[list[Any], bytes]:
        with APIClient(base_url=server.url) as api:
            with api.events("GET", "/feed") as stream:
                got = [(e.id, e.data) for e in stream]
            with api.stream("GET", "/file") as download:
                return got, download.read()

    with cassette(tape):
        recorded = read()
    assert recorded == ([("1", "one"), ("2", "two")], FILE)
    written = json.loads(tape.read_text())["interactions"]
    assert written[0]["response"]["body"] == {"text": EVENTS.decode()}  # text, diff-friendly
    assert "base64" in written[1]["response"]["body"]
    server.stop()
    with cassette(tape, "none"):
        assert read() == recorded


def test_async_streams_and_event_streams_replay(server: FakeServer, tmp_path: Path) -> None:
    serve_streams(server)
    tape = tmp_path / "t.json"

    async def read() -> tuple[list[Any], bytes]:
        async with AsyncAPIClient(base_url=server.url) as api:
            async with api.events("GET", "/feed") as stream:
                got = [(e.id, e.data) async for e in stream]
            async with api.stream("GET", "/file") as download:
                return got, await download.read()

    with cassette(tape):
        recorded = asyncio.run(read())
    assert recorded == ([("1", "one"), ("2", "two")], FILE)
    server.stop()
    with cassette(tape, "none"):
        assert asyncio.run(read()) == recorded


def test_a_stream_left_early_keeps_what_was_read(server: FakeServer, tmp_path: Path) -> None:
    serve_streams(server)
    tape = tmp_path / "t.json"
    with cassette(tape), APIClient(base_url=server.url) as api, api.events("GET", "/feed") as live:
        assert next(iter(live)).data == "one"
    server.stop()
    with (
        cassette(tape, "none"),
        APIClient(base_url=server.url) as api,
        api.events("GET", "/feed") as replayed,
    ):
        assert next(e.data for e in replayed) == "one"


def test_a_transport_error_is_recorded_and_replayed(
    server: FakeServer, make_client: MakeClient, tmp_path: Path
) -> None:
    gone = f"http://127.0.0.1:{server.port}/"
    server.stop()
    tape = tmp_path / "t.json"
    for mode in ("once", "none"):
        with cassette(tape, mode), pytest.raises(ConnectError):  # type: ignore[arg-type]
            make_client(server, base_url=gone, retries=0).get("/x")
    assert json.loads(tape.read_text())["interactions"][0]["error"]["type"] == "ConnectError"


def test_own_secrets_and_scrubbers(
    server: FakeServer, make_client: MakeClient, tmp_path: Path
) -> None:
    server.add("GET /account", Reply(json={"account": "acct-4242", "email": "ada@example.com"}))
    tape = tmp_path / "t.json"

    def no_email(entry: dict[str, Any]) -> dict[str, Any]:
        body = entry.get("response", {}).get("body", {})
        if isinstance(body.get("json"), dict) and "email" in body["json"]:
            body["json"]["email"] = "someone@example.com"
        return entry

    with cassette(tape, secrets=["acct-4242"], scrubbers=[no_email]):
        make_client(server).get("/account")
    text = tape.read_text()
    assert "acct-4242" not in text and "ada@example.com" not in text
    assert "someone@example.com" in text


def test_a_failing_block_writes_nothing(
    server: FakeServer, make_client: MakeClient, tmp_path: Path
) -> None:
    serve(server)
    tape = tmp_path / "t.json"
    with pytest.raises(ServiceUnavailable), cassette(tape):
        make_client(server, retries=0).get("/flaky")
    assert not tape.exists()


def test_as_a_decorator_sync_and_async(server: FakeServer, tmp_path: Path) -> None:
    serve(server)
    tape = tmp_path / "t.json"

    @cassette(tape)
    def sync_call() -> Any:
        with APIClient(base_url=server.url) as api:
            return api.get("/items")

    @cassette(tmp_path / "a.json")
    async def async_call() -> Any:
        async with AsyncAPIClient(base_url=server.url) as api:
            return await api.get("/items")

    assert sync_call() == asyncio.run(async_call()) == ITEMS[:3]
    server.stop()
    assert sync_call() == asyncio.run(async_call()) == ITEMS[:3]  # replayed


def test_the_pytest_marker_and_fixture(pytester: pytest.Pytester, server: FakeServer) -> None:
    serve(server)
    pytester.makepyfile(f"""
        import pytest
        from apiclient import APIClient

        URL = {server.url!r}

        @pytest.mark.cassette
        def test_marked():
            assert APIClient(base_url=URL).get("/items")[0] == {{"id": 0}}

        def test_fixture(cassette):
            assert cassette.path.name == "test_fixture.json"
            assert APIClient(base_url=URL).get("/me")["user"] == "alice"
    """)  # fmt: skip
    pytester.runpytest().assert_outcomes(passed=2)
    recorded = sorted(p.name for p in (pytester.path / "cassettes").rglob("*.json"))
    assert recorded == ["test_fixture.json", "test_marked.json"]
    server.stop()
    pytester.runpytest("--cassette-mode=none").assert_outcomes(passed=2)
