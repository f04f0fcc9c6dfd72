"""An OAuth 2 protected API client: refresh tokens, rotation saved to disk, pagination.

The "Notes" API is a typical OAuth 2 service: users authorize the app once, the app keeps a
refresh token, and access tokens expire every few minutes. This client stores the token in
a JSON file (``TokenFile``) and saves every rotated refresh token before it is used, so a
crash never loses the only valid one.

Run against its local fake (default): ``python examples/notes_oauth.py``. Against a real
server: ``--base-url URL --token-file token.json``, with NOTES_TOKEN_URL, NOTES_CLIENT_ID
and NOTES_CLIENT_SECRET in the environment (``--base-url`` may also come as NOTES_BASE_URL).
"""

from __future__ import annotations

import argparse
import json
import os
import ssl
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from apiclient import APIClient, Cursor, OAuth2AuthorizationCode, OAuth2RefreshToken
from apiclient.testing import FakeServer, RecordedRequest, Reply
from apiclient.testing.oauth import REDIRECT_URI, AuthorizationServer, RegisteredClient, WallClock

#: The app's registration at the fake authorization server.
CLIENT_ID, CLIENT_SECRET = "notes-app", "s3cret"


class TokenFile:
    """Keeps the OAuth token in a JSON file, written atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> dict[str, Any]:
        return dict(json.loads(self.path.read_text()))

    def save(self, token: dict[str, Any]) -> None:
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(token))
        temporary.replace(self.path)


class NotesAPI(APIClient):
    """The client library: one method per endpoint."""

    BASE_URL = "https://notes.example/"
    PAGINATOR = Cursor(items_key="notes", next_key="next_cursor")

    def notes(self) -> Any:
        return self.paginate("/api/notes")

    def add_note(self, text: str) -> Any:
        return self.post("/api/notes", json={"text": text})


def connect(
    base_url: str,
    token_url: str,
    client_id: str,
    secret: str,
    tokens: TokenFile,
    clock: Callable[[], float] = time.time,
    **client_options: Any,
) -> NotesAPI:
    """A NotesAPI whose token refreshes itself and is saved on every rotation."""
    token = tokens.load()
    auth = OAuth2RefreshToken(
        token_url,
        client_id,
        secret,
        access_token=token.get("access_token"),
        refresh_token=token["refresh_token"],
        expires_at=token.get("expires_at"),
        on_token=tokens.save,
        clock=clock,
    )
    return NotesAPI(base_url=base_url, auth=auth, **client_options)


@dataclass
class FakeNotes:
    """The Notes API and its OAuth 2 authorization server, on one local TLS server."""

    server: FakeServer
    oauth: AuthorizationServer
    ca_file: str
    clock: WallClock

    def authorize(self, tokens: TokenFile) -> dict[str, Any]:
        """What happens once, when a user installs the app: the authorization code flow."""
        import urllib3

        flow = OAuth2AuthorizationCode(
            self.oauth.authorize_url,
            self.oauth.token_url,
            CLIENT_ID,
            CLIENT_SECRET,
            redirect_uri=REDIRECT_URI,
            scope="read write",
            clock=self.clock,
        )
        browser = urllib3.PoolManager(ca_certs=self.ca_file)  # the user's browser
        callback = browser.request("GET", flow.authorization_url(), redirect=False)
        with APIClient(base_url=self.server.url, ca_certs=self.ca_file) as bootstrap:
            granted = flow.fetch_token(callback.headers["Location"], transport=bootstrap.transport)
        token = granted.token or {}
        tokens.save(token)
        return token

    def connect(self, tokens: TokenFile, **client_options: Any) -> NotesAPI:
        """A client for this fake, as ``connect`` builds one for a real server."""
        return connect(
            self.server.url,
            self.oauth.token_url,
            CLIENT_ID,
            CLIENT_SECRET,
            tokens,
            ca_certs=self.ca_file,
            clock=self.clock,
            **client_options,
        )


@contextmanager
def fake_notes(directory: Path) -> Iterator[FakeNotes]:
    """Start the fake Notes API with TLS (certificates made with trustme, in ``directory``)."""
    import trustme

    ca = trustme.CA()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    ca_file = str(directory / "ca.pem")
    ca.cert_pem.write_to_path(ca_file)
    notes: list[dict[str, Any]] = [{"id": n, "text": f"note {n}"} for n in range(1, 6)]

    def list_notes(request: RecordedRequest, user: str | None) -> Reply:
        start = int(request.args.get("cursor", 0))
        following = str(start + 2) if start + 2 < len(notes) else None
        return Reply(json={"notes": notes[start : start + 2], "next_cursor": following})

    def add_note(request: RecordedRequest, user: str | None) -> Reply:
        notes.append({"id": len(notes) + 1, "text": request.json()["text"]})
        return Reply(201, json=notes[-1])

    clock = WallClock()
    with FakeServer(tls=context) as server:
        oauth = AuthorizationServer(server, [RegisteredClient(CLIENT_ID, CLIENT_SECRET)], clock)
        oauth.expires_in = 300  # access tokens live five minutes
        server.add("GET /api/notes", oauth.protect(list_notes))
        server.add("POST /api/notes", oauth.protect(add_note, ["write"]))
        yield FakeNotes(server, oauth, ca_file, clock)


def run_against_fake(directory: Path) -> int:
    """Authorize once, then use the API past the token's expiry: it refreshes itself."""
    tokens = TokenFile(directory / "token.json")
    with fake_notes(directory) as fake:
        first_token = fake.authorize(tokens)
        print(f"authorized; token saved to {tokens.path.name}")
        with fake.connect(tokens) as api:
            print("notes:", [note["text"] for note in api.notes()])
            fake.clock.now += 600  # ten minutes later the access token has expired
            print("added:", api.add_note("written after the token expired")["text"])
            rotated = tokens.load()["refresh_token"] != first_token["refresh_token"]
            print("rotated refresh token saved:", rotated)
            print("token requests the server saw:", fake.oauth.store.token_requests)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--base-url", default=os.environ.get("NOTES_BASE_URL"))
    parser.add_argument("--token-file", type=Path, help="the saved token (JSON)")
    args = parser.parse_args(argv)
    base_url = args.base_url
    if base_url is None:
        with tempfile.TemporaryDirectory() as directory:
            return run_against_fake(Path(directory))
    if args.token_file is None:
        parser.error("--token-file is required with --base-url")
    tokens = TokenFile(args.token_file)
    with connect(
        base_url,
        os.environ["NOTES_TOKEN_URL"],
        os.environ["NOTES_CLIENT_ID"],
        os.environ["NOTES_CLIENT_SECRET"],
        tokens,
    ) as api:
        for note in api.notes():
            print(note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
