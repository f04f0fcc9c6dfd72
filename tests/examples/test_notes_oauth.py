"""The OAuth 2 example: refresh by itself, save the rotated token first, run from the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from notes_oauth import TokenFile, fake_notes, main


def test_an_expired_token_is_refreshed_once_and_the_rotation_saved(tmp_path: Path) -> None:
    tokens = TokenFile(tmp_path / "token.json")
    with fake_notes(tmp_path) as fake:
        first = fake.authorize(tokens)
        with fake.connect(tokens) as api:
            assert [n["id"] for n in api.notes()] == [1, 2, 3, 4, 5]
            fake.clock.now += 600
            assert api.add_note("after expiry")["id"] == 6
            assert list(api.notes())[-1]["text"] == "after expiry"
        assert fake.oauth.store.token_requests == ["authorization_code", "refresh_token"]
    saved = json.loads((tmp_path / "token.json").read_text())
    assert saved["refresh_token"] != first["refresh_token"]
    assert saved["access_token"] != first["access_token"]


def test_a_second_run_starts_from_the_saved_token_without_a_new_authorization(
    tmp_path: Path,
) -> None:
    tokens = TokenFile(tmp_path / "token.json")
    with fake_notes(tmp_path) as fake:
        fake.authorize(tokens)
        fake.clock.now += 600
        with fake.connect(tokens) as api:
            api.add_note("one")
        with fake.connect(tokens) as api:  # "the next run": loads the rotated token
            fake.clock.now += 600
            api.add_note("two")
        assert fake.oauth.store.token_requests == [
            "authorization_code",
            "refresh_token",
            "refresh_token",
        ]


def test_the_command_line_against_a_server_needs_a_token_file(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["--base-url", "https://notes.example/"])
    assert "--token-file is required" in capsys.readouterr().err
