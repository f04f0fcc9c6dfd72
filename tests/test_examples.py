"""The examples run cleanly: what `make demo` shows a newcomer must not break."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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


def test_demo_runs_without_tracebacks_or_warnings() -> None:
    result = run_example("demo.py")
    assert result.stderr == ""
    assert "100 widgets; TCP connections so far: 1" in result.stdout
    assert "token=[redacted]" in result.stdout and "demo-secret-key" not in result.stdout


def test_the_oauth_example_refreshes_and_saves_the_rotated_token() -> None:
    result = run_example("notes_oauth.py")
    assert "notes: ['note 1', 'note 2', 'note 3', 'note 4', 'note 5']" in result.stdout
    assert "rotated refresh token saved: True" in result.stdout
    assert "['authorization_code', 'refresh_token']" in result.stdout
