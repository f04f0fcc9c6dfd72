"""What type checkers must see of the client surface: checked by mypy and pyright, not run.

tests/test_typing.py runs both over this file; every ``assert_type`` is an assertion.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Coroutine, Iterator
from typing import Any, TypedDict, assert_type

from apiclient import (
    APIClient,
    AsyncAPIClient,
    AsyncGraphQLClient,
    AsyncPaginated,
    GraphQLClient,
    Page,
    Paginated,
    Response,
    Result,
)


@dataclasses.dataclass
class Repo:
    id: int
    name: str


class IssueDict(TypedDict):
    number: int


class GitHub(APIClient):
    BASE_URL = "https://api.github.com/"

    def repo(self, owner: str, name: str) -> Repo:
        return self.get(f"/repos/{owner}/{name}", model=Repo)

    def issues(self, owner: str, name: str) -> Paginated[IssueDict]:
        return self.paginate(f"/repos/{owner}/{name}/issues", model=IssueDict)


def sync_surface(api: GitHub) -> None:
    assert_type(api.get("/x", model=Repo), Repo)
    assert_type(api.post("/x", json={}, model=list[Repo]), list[Repo])
    assert_type(api.put("/x", model=IssueDict), IssueDict)
    assert_type(api.patch("/x", model=Repo), Repo)
    assert_type(api.delete("/x", model=Repo), Repo)
    assert_type(api.request("GET", "/x", model=Repo, timeout=3), Repo)
    assert_type(api.call("/x", model=Repo), Repo)
    assert_type(api.get("/x", raw=True), Response)
    assert_type(api.get("/x", model=Repo, with_response=True), Result[Repo])
    assert_type(api.get("/x", model=Repo, with_response=True).value, Repo)
    assert_type(api.get("/x"), Any)
    assert_type(api.call("/x", ping="pong"), Any)
    assert_type(api.paginate("/x", model=Repo), Paginated[Repo])
    assert_type(iter(api.paginate("/x", model=Repo)), Iterator[Repo])
    assert_type(api.paginate("/x"), Paginated[Any])
    assert_type(api.paginate("/x", method="POST", json={}).pages(), Iterator[Page])
    assert_type(api.repo("a", "b").id, int)
    assert_type(api.with_options(timeout=5), GitHub)
    with api.stream("GET", "/x") as download:
        assert_type(download.json(model=Repo), Repo)
        assert_type(download.iter_json(model=Repo), Iterator[Repo])
    assert_type(Response(200).json(model=Repo), Repo)


class AsyncGitHub(AsyncAPIClient):
    BASE_URL = "https://api.github.com/"


async def async_surface(api: AsyncGitHub) -> None:
    assert_type(await api.get("/x", model=Repo), Repo)
    pending = assert_type(api.get("/x", model=Repo), Coroutine[Any, Any, Repo])
    await pending
    assert_type(await api.get("/x", raw=True), Response)
    assert_type(await api.post("/x", model=Repo, with_response=True), Result[Repo])
    assert_type(await api.call("/x", model=Repo), Repo)
    assert_type(api.paginate("/x", model=Repo), AsyncPaginated[Repo])
    assert_type(aiter(api.paginate("/x", model=Repo)), AsyncIterator[Repo])
    async with api.stream("GET", "/x") as download:
        assert_type(await download.json(model=Repo), Repo)


class Hub(GraphQLClient):
    BASE_URL = "https://api.github.com/"
    ENDPOINT = "graphql"


class AsyncHub(AsyncGraphQLClient):
    BASE_URL = "https://api.github.com/"
    ENDPOINT = "graphql"


async def graphql_surface(api: Hub, aapi: AsyncHub) -> None:
    assert_type(api.query("{ a }", model=Repo), Repo)
    assert_type(api.query("{ a }"), Any)
    assert_type(api.paginate_query("q", connection="a.b", model=Repo), Paginated[Repo])
    assert_type(await aapi.query("{ a }", model=Repo), Repo)
    assert_type(aapi.paginate_query("q", connection="a.b", model=Repo), AsyncPaginated[Repo])
