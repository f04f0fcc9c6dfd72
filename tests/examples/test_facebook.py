"""The Facebook Graph example: access_token, ids= batches, paging.next, typed Graph errors."""

from __future__ import annotations

import pytest
from facebook import (
    FRIENDS,
    GraphAPI,
    GraphAPIError,
    GraphOAuthError,
    GraphRateLimitError,
    graph_error,
    graph_routes,
    main,
)

from apiclient import HTTPStatusError
from apiclient.testing import FakeServer, Reply


@pytest.fixture
def graph(fake_server: FakeServer) -> GraphAPI:
    fake_server.add_routes(graph_routes(access_token="tok-1"))
    return GraphAPI("tok-1", base_url=fake_server.url)


def test_ids_looks_up_many_nodes_in_one_request(graph: GraphAPI, fake_server: FakeServer) -> None:
    nodes = graph.get_objects(["4", "5"], fields=["name"])
    assert nodes == {
        "4": {"id": "4", "name": "Mark Zuckerberg"},
        "5": {"id": "5", "name": "Chris Hughes"},
    }
    assert len(fake_server.requests) == 1
    assert fake_server.requests[0].args == {"ids": "4,5", "fields": "name", "access_token": "tok-1"}


def test_connections_follow_paging_next_with_exactly_one_token(
    graph: GraphAPI, fake_server: FakeServer
) -> None:
    assert list(graph.connection("me", "friends")) == FRIENDS
    assert len(fake_server.requests) == 3  # 57 friends, 25 a page
    for request in fake_server.requests:
        assert request.query["access_token"] == ["tok-1"]


def test_a_graph_error_object_becomes_a_typed_exception(graph: GraphAPI) -> None:
    with pytest.raises(GraphAPIError) as raised:
        graph.get_object("no-such-node")
    error = raised.value
    assert (error.type, error.code, error.status) == ("GraphMethodException", 100, 404)
    assert error.fbtrace_id == "AbCdEfGh123"
    assert str(error).startswith("GraphMethodException (code 100): Unsupported get request.")
    assert isinstance(error, HTTPStatusError)


def test_a_bad_token_is_an_oauth_error_that_never_shows_the_token(
    fake_server: FakeServer,
) -> None:
    fake_server.add_routes(graph_routes(access_token="right"))
    with pytest.raises(GraphOAuthError) as raised:
        GraphAPI("stolen-token", base_url=fake_server.url).get_object("me")
    assert raised.value.code == 190
    assert "stolen-token" not in str(raised.value) + repr(raised.value)


def test_rate_limit_codes_raise_graph_rate_limit_error(fake_server: FakeServer) -> None:
    fake_server.add(
        "GET /me", graph_error(400, "Application request limit reached", "OAuthException", 4)
    )
    with pytest.raises(GraphRateLimitError) as raised:
        GraphAPI("t", base_url=fake_server.url).get_object("me")
    assert raised.value.code == 4


def test_an_error_without_an_error_object_is_still_a_graph_error(fake_server: FakeServer) -> None:
    fake_server.add("GET /me", Reply(500, body="upstream exploded"))
    with pytest.raises(GraphAPIError) as raised:
        GraphAPI("t", base_url=fake_server.url, retries=0).get_object("me")
    assert raised.value.status == 500 and raised.value.code is None


def test_the_command_line_runs_against_the_fake(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "ids=4,5,6 in one request: Mark Zuckerberg, Chris Hughes, Dustin Moskovitz" in out
    assert "friends: 57" in out


def test_base_url_and_token_from_the_environment(
    fake_server: FakeServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_server.add_routes(graph_routes(access_token="env-token"))
    monkeypatch.setenv("FACEBOOK_ACCESS_TOKEN", "env-token")
    assert main(["--base-url", fake_server.url]) == 0
    assert "me: Demo User" in capsys.readouterr().out
