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
