"""The examples run cleanly: what `make demo` shows a newcomer must not break."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from .redis_server import redis_binary

ROOT = Path(__file__).resolve().parent.parent


def run_example(name: str) -> subprocess.CompletedProcess[str]:
    """Run examples/<name> as a user would, with every warning turned into an error."""
    result = subprocess.run(
        [sys.executable, "-W", "error", str(ROOT / "examples" / name)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result


def test_demo_tells_the_whole_story_without_tracebacks_or_warnings() -> None:
    result = run_example("demo.py")
    assert result.stderr == ""
    out = result.stdout
    assert "250/250" in out  # the progress bar completed
    assert "got 503; retry 1 of 3" in out and "got 429; retry 1 of 3 in 1.00s" in out
    assert "rotated refresh token saved before use: True" in out
    assert "token requests: ['authorization_code', 'refresh_token']" in out
    assert "Graph error object -> GraphAPIError(code=100)" in out
    assert "NotFound: 404 Not Found" in out and "ReadTimeout" in out and "ConnectError" in out
    for row in ["HTTP requests served", "TCP connections opened", "retries", "elapsed"]:
        assert row in out
    for secret in ["demo-key", "demo-token", "ghp-demo-token", "s3cret"]:
        assert secret not in out


def test_the_oauth_example_refreshes_and_saves_the_rotated_token() -> None:
    result = run_example("notes_oauth.py")
    assert "notes: ['note 1', 'note 2', 'note 3', 'note 4', 'note 5']" in result.stdout
    assert "rotated refresh token saved: True" in result.stdout
    assert "['authorization_code', 'refresh_token']" in result.stdout


def test_each_example_runs_from_the_command_line_against_its_fake() -> None:
    assert "shazow  Klout score  61.7" in run_example("klout.py").stdout
    assert "friends: 57" in run_example("facebook.py").stdout
    assert "250 repositories" in run_example("github.py").stdout
    assert "250 repositories" in run_example("github_async.py").stdout


def test_the_fleet_example_refreshes_once_for_four_processes() -> None:
    redis_binary()  # a real redis-server, as the example starts its own
    out = run_example("fleet.py").stdout
    assert "token requests the server saw: ['authorization_code', 'refresh_token']" in out
    assert out.count("3 listings") == 4
