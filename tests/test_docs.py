"""Every code example in the README and docs/ runs against local fakes, so docs cannot drift."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
#: ```python blocks (not doctests) and the test that runs each.
SCRIPT_BLOCKS = {"ratelimiting.md": "test_ratelimit_redis.py::test_the_docs_redis_example_runs"}


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
