"""Every paginator over a real multi-page endpoint on the loopback server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from apiclient import (
    BearerToken,
    Cursor,
    GraphPaging,
    HasMore,
    NextPage,
    OffsetLimit,
    Page,
    PageNumber,
    PaginationError,
    RateLimiter,
)
from apiclient.testing import FakeServer, RecordedRequest, Reply

from .conftest import Acme, Sleeps

MakeClient = Callable[..., Acme]
ITEMS = [{"id": n} for n in range(1, 24)]  # 23 items: pages of 10, 10 and 3


def ids(items: Any) -> list[int]:
    return [item["id"] for item in items]


def link_pages(server: FakeServer) -> Callable[[RecordedRequest], Reply]:
    def handler(request: RecordedRequest) -> Reply:
        page = int(request.args.get("page", 1))
        headers = {}
        if page * 10 < len(ITEMS):
            last = f'<{server.url}items?page=3>; rel="last"'
            headers["Link"] = f'<{server.url}items?page={page + 1}>; rel="next", {last}'
        return Reply(json=ITEMS[(page - 1) * 10 : page * 10], headers=headers)

    return handler


def test_link_header_pagination_follows_rel_next(
    server: FakeServer, make_client: MakeClient
) -> None:
    server.add("/items", link_pages(server))
    api = make_client(server, auth=BearerToken("tok"))
    assert ids(api.paginate("/items")) == list(range(1, 24))
    assert [r.args.get("page") for r in server.requests] == [None, "2", "3"]
    assert all(r.headers["Authorization"] == "Bearer tok" for r in server.requests)


def test_pages_see_the_whole_response(server: FakeServer, make_client: MakeClient) -> None:
    server.add("/items", link_pages(server))
    pages = list(make_client(server).paginate("/items").pages())
    assert [p.number for p in pages] == [1, 2, 3]
    assert (
        'rel="next"' in pages[0].response.headers["Link"]
        and "Link" not in pages[2].response.headers
    )


def test_cursor_in_the_body(server: FakeServer, make_client: MakeClient) -> None:
    def handler(request: RecordedRequest) -> Reply:
        start = int(request.args.get("cursor", 0))
        nxt = start + 10 if start + 10 < len(ITEMS) else None
        return Reply(json={"data": ITEMS[start : start + 10], "meta": {"next": nxt and str(nxt)}})

    server.add("/items", handler)
    got = make_client(server).paginate(
        "/items", {"kind": "all"}, paginator=Cursor(next_key="meta.next")
    )
    assert ids(got) == list(range(1, 24))
    assert [r.args for r in server.requests][1] == {"kind": "all", "cursor": "10"}


def test_has_more_with_the_last_id_as_stripe_does(
    server: FakeServer, make_client: MakeClient
) -> None:
    def handler(request: RecordedRequest) -> Reply:
        after = int(request.args.get("starting_after", 0))
        chunk = [i for i in ITEMS if i["id"] > after][:10]
        return Reply(json={"object": "list", "data": chunk, "has_more": chunk[-1]["id"] < 23})

    server.add("/v1/charges", handler)
    assert ids(make_client(server).paginate("/v1/charges", paginator=HasMore())) == list(
        range(1, 24)
    )


def test_page_number_stops_on_a_short_page(server: FakeServer, make_client: MakeClient) -> None:
    server.add("/items", lambda r: Reply(json=ITEMS[(int(r.args["page"]) - 1) * 10 :][:10]))
    got = make_client(server).paginate("/items", {"page": 1}, paginator=PageNumber(per_page=10))
    assert ids(got) == list(range(1, 24)) and len(server.requests) == 3


def test_page_number_stops_on_an_empty_page_and_on_a_total(
    server: FakeServer, make_client: MakeClient
) -> None:
    server.add(
        "/exact", lambda r: Reply(json=ITEMS[:20][(int(r.args.get("page", 1)) - 1) * 10 :][:10])
    )
    assert len(list(make_client(server).paginate("/exact", paginator=PageNumber()))) == 20
    assert len(server.requests_to("/exact")) == 3  # the third, empty page ends it
    server.add(
        "/counted",
        lambda r: Reply(
            json={"total": 20, "results": ITEMS[:20][(int(r.args.get("page", 1)) - 1) * 10 :][:10]}
        ),
    )
    paginator = PageNumber(items_key="results", total_key="total")
    assert len(list(make_client(server).paginate("/counted", paginator=paginator))) == 20
    assert len(server.requests_to("/counted")) == 2


def test_offset_limit(server: FakeServer, make_client: MakeClient) -> None:
    def handler(request: RecordedRequest) -> Reply:
        offset, limit = int(request.args.get("offset", 0)), int(request.args.get("limit", 10))
        return Reply(json={"items": ITEMS[offset : offset + limit]})

    server.add("/items", handler)
    got = make_client(server).paginate("/items", paginator=OffsetLimit(items_key="items", limit=10))
    assert ids(got) == list(range(1, 24))
    assert [r.args.get("offset") for r in server.requests] == [None, "10", "20"]


def test_facebook_graph_paging_next(server: FakeServer, make_client: MakeClient) -> None:
    def handler(request: RecordedRequest) -> Reply:
        after = int(request.args.get("after", 0))
        paging: dict[str, Any] = {"cursors": {"after": str(after + 10)}}
        if after + 10 < len(ITEMS):
            paging["next"] = f"{server.url}me/friends?after={after + 10}&access_token=tok"
        return Reply(json={"data": ITEMS[after : after + 10], "paging": paging})

    server.add("/me/friends", handler)
    assert ids(make_client(server).paginate("/me/friends", paginator=GraphPaging())) == list(
        range(1, 24)
    )
    assert len(server.requests) == 3  # no "next" on the last page: no request for an empty one


def test_an_empty_first_page(server: FakeServer, make_client: MakeClient) -> None:
    server.add("/none", Reply(json=[]))
    assert list(make_client(server).paginate("/none")) == []
    server.add("/none-stripe", Reply(json={"data": [], "has_more": False}))
    assert list(make_client(server).paginate("/none-stripe", paginator=HasMore())) == []


def test_a_last_page_linking_to_itself_ends_the_walk(
    server: FakeServer, make_client: MakeClient
) -> None:
    server.add("/items", Reply(json=[{"id": 1}], headers={"Link": '<{}items>; rel="next"'}))
    server.add(
        "/items",
        lambda r: Reply(json=[{"id": 1}], headers={"Link": f'<{server.url}items>; rel="next"'}),
    )
    assert ids(make_client(server).paginate("/items")) == [1]
    assert len(server.requests) == 1


def test_max_pages_and_max_items(server: FakeServer, make_client: MakeClient) -> None:
    server.add("/items", link_pages(server))
    api = make_client(server)
    assert ids(api.paginate("/items", max_pages=2)) == list(range(1, 21))
    requests_before = len(server.requests)
    assert ids(api.paginate("/items", max_items=12)) == list(range(1, 13))
    assert len(server.requests) - requests_before == 2  # lazy: the third page was never asked
    requests_before = len(server.requests)
    assert ids(api.paginate("/items", max_items=10)) == list(range(1, 11))
    assert len(server.requests) - requests_before == 1  # a full first page is enough
    assert ids(api.paginate("/items", max_items=0)) == []
    assert len(server.requests) - requests_before == 1


def test_a_next_link_to_another_origin_is_refused(
    server: FakeServer, other_server: FakeServer, make_client: MakeClient
) -> None:
    server.add(
        "/items",
        Reply(json=[{"id": 1}], headers={"Link": f'<{other_server.url}steal>; rel="next"'}),
    )
    other_server.add("/steal", Reply(json=[{"id": 2}]))
    api = make_client(server, auth=BearerToken("tok"), headers={"X-Internal": "secret"})
    with pytest.raises(PaginationError):
        list(api.paginate("/items"))
    assert other_server.requests == []
    # Opting in fetches it, but without credentials or non-allowlisted headers.
    assert ids(api.paginate("/items", follow_other_origins=True)) == [1, 2]
    sent = other_server.requests[0].headers
    assert "Authorization" not in sent and "X-Internal" not in sent


def test_retries_and_rate_limiting_apply_to_every_page(
    server: FakeServer, make_client: MakeClient, sleeps: Sleeps
) -> None:
    pages = link_pages(server)
    calls = {"n": 0}

    def flaky(request: RecordedRequest) -> Reply:
        calls["n"] += 1
        return Reply(503) if calls["n"] == 2 else pages(request)

    server.add("/items", flaky)
    limiter = RateLimiter(100, 1, clock=sleeps.clock, sleep=sleeps)
    api = make_client(server, rate_limit_lock=limiter)
    assert ids(api.paginate("/items")) == list(range(1, 24))
    assert len(server.requests) == 4 and len(sleeps) == 1  # one 503 retried after backoff
    assert len(limiter._grants[0][0]) == 4  # the limiter granted every attempt


def test_a_custom_paginator_in_a_few_lines(server: FakeServer, make_client: MakeClient) -> None:
    class NextToken:
        def items(self, page: Page) -> list[Any]:
            return list(page.body["results"])

        def next_page(self, page: Page) -> NextPage | None:
            token = page.body.get("nextToken")
            return NextPage(params={"token": token}) if token else None

    server.add(
        "/things",
        lambda r: Reply(
            json={
                "results": [r.args.get("token", "a")],
                "nextToken": None if r.args.get("token") else "b",
            }
        ),
    )
    assert list(make_client(server).paginate("/things", paginator=NextToken())) == ["a", "b"]


def test_the_link_parser_reads_several_links() -> None:
    from apiclient.policies.pagination import link_targets

    header = '<https://a/x?page=2>; rel="next", <https://a/x?page=9>; rel="last", <https://a/x?p=1>;rel=prev'
    assert link_targets(header) == {
        "next": "https://a/x?page=2",
        "last": "https://a/x?page=9",
        "prev": "https://a/x?p=1",
    }
    assert link_targets("garbage") == {}
