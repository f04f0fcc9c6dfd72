"""Every code example in the README and docs/ runs against local fakes, so docs cannot drift."""

from __future__ import annotations

import doctest
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
#: ```python blocks (not doctests) and the test that runs each.
SCRIPT_BLOCKS = {
    "ratelimiting.md": "test_ratelimit_redis.py::test_the_docs_redis_example_runs",
    "tutorial.md": "test_docs.py::test_the_tutorials_library_passes_its_tests_and_mypy",
    "testing.md": "test_docs.py::test_the_testing_pages_pytest_example_passes",
}


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_examples_in_page_run(page: Path) -> None:
    text = page.read_text()
    result = doctest.testfile(
        str(page),
        module_relative=False,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
        raise_on_error=False,
        verbose=False,
    )
    assert result.failed == 0, f"{result.failed} example(s) failed in {page.name}"
    assert ("```pycon" in text) == (result.attempted > 0), f"{page.name}: pycon blocks not run"
    if "```python" in text:
        assert page.name in SCRIPT_BLOCKS, f"{page.name} has a ```python block no test runs"


def write_named_blocks(page: str, directory: Path) -> list[str]:
    """Write each ```python block that starts with ``# <file name>`` to that file."""
    text = (ROOT / "docs" / page).read_text()
    blocks = re.findall(r"```python\n# (\S+)\n(.*?)```", text, re.S)
    for name, code in blocks:
        (directory / name).write_text(code)
    return [name for name, _ in blocks]


def run_in(directory: Path, *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *command],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_tutorials_library_passes_its_tests_and_mypy(tmp_path: Path) -> None:
    """The tutorial ends with a module and its tests: write them out, run pytest and mypy."""
    assert write_named_blocks("tutorial.md", tmp_path) == ["notebook.py", "test_notebook.py"]
    lines = (tmp_path / "notebook.py").read_text().splitlines()
    assert len(lines) < 60  # a newcomer's whole client, typed, on one screen
    tests = run_in(tmp_path, "pytest", "-q", "-p", "no:cacheprovider", "-W", "error", ".")
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "4 passed" in tests.stdout
    typed = run_in(tmp_path, "mypy", "--strict", "--no-incremental", "notebook.py")
    assert typed.returncode == 0, typed.stdout
    pyright = Path(sys.executable).parent / "pyright"
    checked = subprocess.run(
        [str(pyright), "--pythonpath", sys.executable, "notebook.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout


def test_the_testing_pages_pytest_example_passes(tmp_path: Path) -> None:
    assert write_named_blocks("testing.md", tmp_path) == ["test_shop.py"]
    tests = run_in(tmp_path, "pytest", "-q", "-p", "no:cacheprovider", "-W", "error", ".")
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "1 passed" in tests.stdout
