"""GraphQLClient and AsyncGraphQLClient against a GraphQL fake on loopback."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from apiclient import (
    AsyncGraphQLClient,
    BearerToken,
    GraphQLClient,
    GraphQLError,
    ServiceUnavailable,
)
from apiclient.graphql import operation_kind
from apiclient.testing import FakeServer, RecordedRequest, Reply

from .async_facade import SyncFacade
from .conftest import Sleeps

USER = """query($login: String!) { user(login: $login) { login name } }"""
RENAME = """# a comment first
mutation($name: String!) { rename(name: $name) { login name } }"""
ISSUES = """query($after: String) {
  viewer { issues(first: 3, after: $after) {
    nodes { number title }
    pageInfo { hasNextPage endCursor }
  } }
}"""


@dataclasses.dataclass
class User:
    login: str
    name: str


@dataclasses.dataclass
class UserData:
    user: User


@dataclasses.dataclass
class Issue:
    number: int
    title: str


class GitHub(GraphQLClient):
    BASE_URL = "http://placeholder.invalid/"
    ENDPOINT = "graphql"


class AsyncGitHub(AsyncGraphQLClient):
    BASE_URL = "http://placeholder.invalid/"
    ENDPOINT = "graphql"


def issues_page(after: str | None) -> dict[str, Any]:
    start = int(after or 0)
    nodes = [{"number": n, "title": f"Issue {n}"} for n in range(start + 1, min(start + 4, 9))]
    info = {"hasNextPage": start + 3 < 8, "endCursor": str(start + 3)}
    return {"data": {"viewer": {"issues": {"nodes": nodes, "pageInfo": info}}}}


def graphql(request: RecordedRequest) -> Reply:
    body = request.json()
    query, variables = body["query"], body.get("variables") or {}
    if query == USER:
        if variables["login"] == "ghost":
            error = {
                "type": "NOT_FOUND",
                "path": ["user"],
                "message": "Could not resolve to a User with the login of 'ghost'.",
            }
            return Reply(json={"data": {"user": None}, "errors": [error]})
        return Reply(json={"data": {"user": {"login": variables["login"], "name": "Andrey"}}})
    if query == RENAME:
        return Reply(json={"data": {"rename": {"login": "shazow", "name": variables["name"]}}})
    if query == ISSUES:
        return Reply(json=issues_page(variables.get("after")))
    return Reply(400, json={"errors": [{"message": "unknown query"}]})


@pytest.fixture
def gql(server: FakeServer) -> FakeServer:
    server.add("POST /graphql", graphql)
    return server


@pytest.fixture(params=["sync", "async"])
def make_api(request: pytest.FixtureRequest, sleeps: Sleeps) -> Iterator[Callable[..., Any]]:
    made: list[Any] = []

    def build(fake: FakeServer, **kwargs: Any) -> Any:
        kwargs.setdefault("sleep", sleeps)
        kwargs.setdefault("clock", sleeps.clock)
        kwargs.setdefault("base_url", fake.url)
        if request.param == "async":
            api: Any = SyncFacade(client_class=AsyncGitHub, **kwargs)
        else:
            api = GitHub(**kwargs)
        made.append(api)
        return api

    yield build
    for api in made:
        api.close()


def test_a_query_returns_its_data_as_a_model(make_api: Callable[..., Any], gql: FakeServer) -> None:
    api = make_api(gql, auth=BearerToken("ghp-t0ken"))
    data = api.query(USER, variables={"login": "shazow"}, model=UserData)
    assert data == UserData(User("shazow", "Andrey"))
    assert api.query(USER, {"login": "shazow"}) == {"user": {"login": "shazow", "name": "Andrey"}}
    sent = gql.requests[-1]
    assert sent.method == "POST" and sent.path == "/graphql"
    assert sent.headers["Authorization"] == "Bearer ghp-t0ken"
    assert sent.json() == {"query": USER, "variables": {"login": "shazow"}}


def test_errors_in_a_200_raise_a_graphql_error(
    make_api: Callable[..., Any], gql: FakeServer
) -> None:
    with pytest.raises(GraphQLError) as caught:
        make_api(gql).query(USER, variables={"login": "ghost"})
    error = caught.value
    assert error.code == "NOT_FOUND" and error.path == ["user"] and error.data == {"user": None}
    assert error.errors[0]["type"] == "NOT_FOUND"
    assert "Could not resolve" in str(error) and error.request is not None


def test_an_error_code_in_extensions_is_read(
    make_api: Callable[..., Any], server: FakeServer
) -> None:
    error = {"message": "no", "extensions": {"code": "FORBIDDEN"}}
    server.add("POST /graphql", Reply(json={"errors": [error], "data": None}))
    with pytest.raises(GraphQLError) as caught:
        make_api(server).query("{ secret }")
    assert caught.value.code == "FORBIDDEN"


@pytest.mark.parametrize("document", [USER, RENAME])
def test_a_rate_limit_error_is_retried_after_its_wait_for_queries_and_mutations(
    make_api: Callable[..., Any], server: FakeServer, sleeps: Sleeps, document: str
) -> None:
    limited = Reply(
        json={"errors": [{"type": "RATE_LIMITED", "message": "API rate limit exceeded"}]},
        headers={"Retry-After": "2"},
    )
    server.add("POST /graphql", [limited, Reply(json={"data": {"ok": True}})])
    api = make_api(server)
    assert api.query(document, {"login": "a", "name": "b"}) == {"ok": True}
    assert len(server.requests) == 2 and 2.0 in sleeps


def test_a_query_is_retried_on_a_503_and_a_mutation_is_not(
    make_api: Callable[..., Any], server: FakeServer
) -> None:
    server.add("POST /graphql", [Reply(503), Reply(json={"data": {"ok": True}})])
    api = make_api(server)
    assert api.query(USER, {"login": "a"}) == {"ok": True}
    server.add("POST /graphql", [Reply(503), Reply(json={"data": {"ok": True}})])
    with pytest.raises(ServiceUnavailable):
        api.query(RENAME, {"name": "x"})
    assert len(server.requests) == 3  # two for the query, one for the mutation


def test_paginate_query_walks_the_connection(make_api: Callable[..., Any], gql: FakeServer) -> None:
    issues = make_api(gql).paginate_query(ISSUES, connection="viewer.issues", model=Issue)
    assert [i.number for i in issues] == list(range(1, 9))
    cursors = [r.json().get("variables", {}).get("after") for r in gql.requests]
    assert cursors == [None, "3", "6"]


def test_the_base_url_may_be_the_endpoint_itself(server: FakeServer) -> None:
    server.add("POST /api/graphql", Reply(json={"data": {"ok": 1}}))

    class Direct(GraphQLClient):
        pass

    with Direct(base_url=server.url + "api/graphql") as api:
        assert api.query("{ ok }") == {"ok": 1}
    assert server.requests[0].target == "/api/graphql"


def test_async_graphql_client_directly(gql: FakeServer) -> None:
    async def scenario() -> tuple[UserData, list[int]]:
        async with AsyncGitHub(base_url=gql.url) as api:
            user = await api.query(USER, {"login": "shazow"}, model=UserData)
            numbers = [
                i.number
                async for i in api.paginate_query(ISSUES, connection="viewer.issues", model=Issue)
            ]
            return user, numbers

    user, numbers = asyncio.run(scenario())
    assert user.user.login == "shazow" and numbers == list(range(1, 9))


def test_operation_kinds() -> None:
    assert operation_kind("{ viewer { login } }") == "query"
    assert operation_kind("  query Q { a }") == "query"
    assert operation_kind("# note\nmutation M { a }") == "mutation"
    assert operation_kind("subscription { a }") == "subscription"
