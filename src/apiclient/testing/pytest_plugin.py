"""pytest fixtures for testing client libraries built on apiclient.

Registered as a pytest plugin when apiclient is installed, so a test only asks for them::

    def test_user(fake_server):
        fake_server.add("GET /users/1", Reply(json={"name": "Ada"}))
        assert MyClient(base_url=fake_server.url).user(1)["name"] == "Ada"
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from apiclient.testing.server import FakeServer


@pytest.fixture
def fake_server() -> Iterator[FakeServer]:
    """A started ``FakeServer`` with no routes (add them with ``.add``), stopped afterwards."""
    with FakeServer() as server:
        yield server
