"""pytest fixtures for testing client libraries built on apiclient.

Registered as a pytest plugin when apiclient is installed, so a test only asks for them::

    def test_user(fake_server):
        fake_server.add("GET /users/1", Reply(json={"name": "Ada"}))
        assert MyClient(base_url=fake_server.url).user(1)["name"] == "Ada"

    @pytest.mark.cassette                      # or ask for the ``cassette`` fixture
    def test_real_user():
        assert MyClient(token=TOKEN).user(1)["name"] == "Ada"

A cassette's file is ``cassettes/<test module>/<test name>.json`` beside the test module,
unless the marker names one (``@pytest.mark.cassette("path.json", mode="none")``); its
mode is the marker's, else ``--cassette-mode`` (default ``once``; ``none`` in CI makes
sure nothing is recorded there).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from apiclient.testing.cassette import MODES, Cassette
from apiclient.testing.server import FakeServer


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--cassette-mode``: how cassettes play unless a marker says (once, none, ...)."""
    parser.addoption(
        "--cassette-mode", choices=MODES, default=None,
        help="how apiclient cassettes play: once (default), new_episodes, none or all",
    )  # fmt: skip


def pytest_configure(config: pytest.Config) -> None:
    """Declare the marker (so ``--strict-markers`` accepts it)."""
    config.addinivalue_line(
        "markers", "cassette(path=None, mode=None, **options): play an apiclient cassette"
    )


@pytest.fixture
def fake_server() -> Iterator[FakeServer]:
    """A started, strict ``FakeServer`` with no routes (add them with ``.add``).

    Strict: a request no route matches fails the test (at teardown, listing them), so a
    typo in a route is not mistaken for the API's 404. ``FakeServer()`` is not strict.
    """
    server = FakeServer(strict=True).start()
    try:
        yield server
    finally:
        server.stop()
    server.assert_no_unmatched()


@pytest.fixture
def cassette(request: pytest.FixtureRequest) -> Iterator[Cassette]:
    """The test's cassette, playing for the whole test (see the module)."""
    marker = request.node.get_closest_marker("cassette")
    args: tuple[Any, ...] = marker.args if marker else ()
    options: dict[str, Any] = dict(marker.kwargs) if marker else {}
    # (a marker's relative path is beside the test module; an absolute one stays as it is)
    path = Path(request.path).parent / args[0] if args else _default_path(request)
    mode: Any = options.pop("mode", None) or request.config.getoption("--cassette-mode")
    mode = mode or "once"
    with Cassette(path, mode, **options) as playing:
        yield playing


@pytest.fixture(autouse=True)
def _apiclient_cassette_marker(request: pytest.FixtureRequest) -> None:
    """A test marked ``cassette`` gets its cassette without asking for the fixture."""
    if request.node.get_closest_marker("cassette") is not None:
        request.getfixturevalue("cassette")


def _default_path(request: pytest.FixtureRequest) -> Path:
    module = Path(request.path)
    name = re.sub(r"[^\w.-]+", "_", request.node.name).strip("_")
    return module.parent / "cassettes" / module.stem / f"{name}.json"
