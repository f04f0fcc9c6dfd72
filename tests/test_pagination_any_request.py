"""Pagination for any request: a cursor in a POST body (Notion), GraphQL connections."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from apiclient import BodyCursor, GraphQLConnection, NextPage, Page, PaginationError, Response
from apiclient.testing import FakeServer, RecordedRequest, Reply

MakeClient = Callable[..., Any]
ROWS = [{"id": f"row-{n}", "title": f"Row {n}"} for n in range(1, 12)]


@dataclasses.dataclass
class Row:
    id: str
    title: str


def notion_query(request: RecordedRequest) -> Reply:
    """Notion's database query: filter and cursor in the POST body, 4 rows a page."""
    body = request.json()
    assert body["filter"] == {"property": "Done", "checkbox": {"equals": False}}
    start = int(body.get("start_cursor") or 0)
    chunk = ROWS[start : start + 4]
    more = start + 4 < len(ROWS)
    next_cursor = str(start + 4) if more else None
    return Reply(json={"results": chunk, "has_more": more, "next_cursor": next_cursor})


def test_a_cursor_in_the_post_body(make_client: MakeClient, server: FakeServer) -> None:
    server.add("POST /v1/databases/db1/query", notion_query)
    query = {"filter": {"property": "Done", "checkbox": {"equals": False}}, "page_size": 4}
    rows = make_client(server).paginate(
        "/v1/databases/db1/query", method="POST", json=query, paginator=BodyCursor(), model=Row
    )
    assert [row.id for row in rows] == [r["id"] for r in ROWS]
    sent = [r.json() for r in server.requests_to("/v1/databases/db1/query")]
    assert [s.get("start_cursor") for s in sent] == [None, "4", "8"]
    assert all(s["page_size"] == 4 and s["filter"] == query["filter"] for s in sent)


def test_a_body_cursor_goes_in_the_query_string_for_a_get(
    make_client: MakeClient, server: FakeServer
) -> None:
    def users(request: RecordedRequest) -> Reply:
        start = int(request.args.get("start_cursor") or 0)
        more = start + 4 < len(ROWS)
        chunk = ROWS[start : start + 4]
        return Reply(json={"results": chunk, "has_more": more, "next_cursor": str(start + 4)})

    server.add("GET /v1/users", users)
    rows = list(make_client(server).paginate("/v1/users", paginator=BodyCursor()))
    assert len(rows) == len(ROWS)
    assert [r.args.get("start_cursor") for r in server.requests] == [None, "4", "8"]


QUERY = """
query($owner: String!, $after: String) {
  repository(owner: $owner) { issues(first: 5, after: $after) {
    nodes { id title }
    pageInfo { hasNextPage endCursor }
  } }
}
"""


def graphql_issues(request: RecordedRequest) -> Reply:
    body = request.json()
    assert body["query"] == QUERY and body["variables"]["owner"] == "shazow"
    start = int(body["variables"].get("after") or 0)
    chunk = ROWS[start : start + 5]
    info = {"hasNextPage": start + 5 < len(ROWS), "endCursor": str(start + 5)}
    issues = {"nodes": chunk, "pageInfo": info}
    return Reply(json={"data": {"repository": {"issues": issues}}})


def test_a_graphql_connection_through_plain_paginate(
    make_client: MakeClient, server: FakeServer
) -> None:
    server.add("POST /graphql", graphql_issues)
    body = {"query": QUERY, "variables": {"owner": "shazow"}}
    pages = make_client(server).paginate(
        "/graphql",
        method="POST",
        json=body,
        paginator=GraphQLConnection("repository.issues"),
        model=Row,
    )
    assert [row.title for row in pages] == [r["title"] for r in ROWS]
    cursors = [r.json()["variables"].get("after") for r in server.requests]
    assert cursors == [None, "5", "10"]


def test_max_pages_and_a_repeated_body_end_a_post_walk(
    make_client: MakeClient, server: FakeServer
) -> None:
    same = {"results": [ROWS[0]], "has_more": True, "next_cursor": "again"}
    server.add("POST /loop", Reply(json=same))
    api = make_client(server)
    walk = api.paginate(
        "/loop", method="POST", json={"start_cursor": "again"}, paginator=BodyCursor()
    )
    assert len(list(walk)) == 1  # the next request is the one just sent: the walk ends
    server.add(
        "POST /forever", lambda r: Reply(json={**same, "next_cursor": str(len(server.requests))})
    )
    endless = api.paginate("/forever", method="POST", json={}, paginator=BodyCursor(), max_pages=3)
    assert len(list(endless)) == 3


def test_a_relative_next_link_is_followed_on_the_same_origin(
    make_client: MakeClient, server: FakeServer
) -> None:
    server.add(
        "GET /items",
        lambda r: (
            Reply(json=[1, 2], headers={"Link": '</items?page=2>; rel="next"'})
            if "page" not in r.args
            else Reply(json=[3])
        ),
    )
    assert list(make_client(server).paginate("/items")) == [1, 2, 3]


def test_a_post_walk_to_another_origin_is_refused(
    make_client: MakeClient, server: FakeServer, other_server: FakeServer
) -> None:
    class Elsewhere:
        def items(self, page: Page) -> list[Any]:
            return list(page.body["results"])

        def next_page(self, page: Page) -> NextPage | None:
            return NextPage(url=other_server.url + "steal") if page.number == 1 else None

    server.add("POST /q", Reply(json={"results": [1]}))
    other_server.add("POST /steal", Reply(json={"results": [2]}))
    api = make_client(server, headers={"X-Api-Key": "k3y"})
    with pytest.raises(PaginationError, match="another origin"):
        list(api.paginate("/q", method="POST", json={}, paginator=Elsewhere()))
    followed = api.paginate(
        "/q", method="POST", json={}, paginator=Elsewhere(), follow_other_origins=True
    )
    assert list(followed) == [1, 2]
    assert "X-Api-Key" not in other_server.requests[0].headers


# -- the paginators alone: pure, no I/O ----------------------------------------------------


def page(body: Any, method: str = "POST", json: Any = None) -> Page:
    return Page(body, Response(200), {}, 1, method, json)


def test_body_cursor_decisions() -> None:
    cursor = BodyCursor()
    assert cursor.next_page(page({"has_more": True, "next_cursor": "c"})) == NextPage(
        json={"start_cursor": "c"}
    )
    assert cursor.next_page(page({"has_more": True, "next_cursor": "c"}, "GET")) == NextPage(
        params={"start_cursor": "c"}
    )
    assert cursor.next_page(page({"has_more": False, "next_cursor": "c"})) is None
    assert cursor.next_page(page({"has_more": True, "next_cursor": None})) is None
    assert cursor.items(page({"results": [1, 2]})) == [1, 2]


def test_graphql_connection_decisions() -> None:
    connection = GraphQLConnection("viewer.repos", cursor_variable="cursor")
    info = {"hasNextPage": True, "endCursor": "Y3Vy"}
    body = {"viewer": {"repos": {"edges": [{"node": 1}, {"node": 2}], "pageInfo": info}}}
    sent = {"query": "q", "variables": {"n": 5}}
    assert connection.items(page(body)) == [1, 2]
    assert connection.next_page(page(body, json=sent)) == NextPage(
        json={"variables": {"n": 5, "cursor": "Y3Vy"}}
    )
    wrapped = {"data": body}  # the whole response, as a plain APIClient decodes it
    assert connection.items(page(wrapped)) == [1, 2]
    info["hasNextPage"] = False
    assert connection.next_page(page(body, json=sent)) is None
