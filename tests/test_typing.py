"""Type checkers see the typed surface: mypy --strict and pyright on tests/typing/*.py.

Each file there is made of ``assert_type`` lines and is never run; a checker that sees
another type than the one asserted reports an error, and this test fails with its output.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

TYPING = Path(__file__).resolve().parent / "typing"
CHECKED = sorted(str(path) for path in TYPING.glob("*.py"))


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)


def test_mypy_sees_the_typed_surface() -> None:
    result = run(sys.executable, "-m", "mypy", "--strict", "--no-incremental", *CHECKED)
    assert result.returncode == 0, result.stdout + result.stderr


def test_pyright_sees_the_typed_surface() -> None:
    pyright = shutil.which("pyright", path=str(Path(sys.executable).parent))
    if pyright is None:
        pytest.fail("pyright is not installed (make test installs it)")
    result = run(pyright, "--pythonpath", sys.executable, *CHECKED)
    assert result.returncode == 0, result.stdout + result.stderr


def test_pyright_knows_the_type_of_every_public_symbol(tmp_path: Path) -> None:
    """``pyright --verifytypes``: the share of the public API whose types are known."""
    import json
    import os

    venv = str(Path(sys.executable).parent.parent)
    env = {**os.environ, "VIRTUAL_ENV": venv, "PATH": f"{venv}/bin:{os.environ['PATH']}"}
    result = subprocess.run(
        ["pyright", "--verifytypes", "apiclient", "--ignoreexternal", "--outputjson"],
        capture_output=True, text=True, timeout=300, check=False, cwd=tmp_path, env=env,
    )  # fmt: skip
    report = json.loads(result.stdout)
    completeness = report["typeCompleteness"]
    assert completeness["packageRootDirectory"].endswith("apiclient")
    assert completeness["completenessScore"] >= 0.95, [
        d["message"] for d in report["generalDiagnostics"]
    ][:20]
