"""The testing kit's ready-made routes work with the paginators and policies they imitate."""

from __future__ import annotations

import pytest

from apiclient import (
    APIClient,
    BodyCursor,
    Cursor,
    ETagCache,
    GraphPaging,
    GraphQLConnection,
    HasMore,
    LinkHeader,
    NotFound,
    OffsetLimit,
    PageNumber,
    Paginator,
    TooManyRequests,
)
from apiclient.testing import FakeServer, Reply, conditional, flaky, paged, rate_limited

ITEMS = [{"id": f"it{n}", "n": n} for n in range(23)]

STYLES: list[tuple[str, Paginator, dict[str, int]]] = [
    ("link", LinkHeader(), {"per_page": 5}),
    ("page", PageNumber(items_key="items", total_key="total", per_page=5), {"per_page": 5}),
    ("offset", OffsetLimit(items_key="items", limit=5, total_key="total"), {"limit": 5}),
    ("cursor", Cursor(), {"limit": 5}),
    ("has_more", HasMore(), {"limit": 5}),
    ("graph", GraphPaging(), {"limit": 5}),
]


@pytest.mark.parametrize(("style", "paginator", "first"), STYLES, ids=[s[0] for s in STYLES])
def test_each_page_style_walks_the_whole_collection_with_its_paginator(
    fake_server: FakeServer, style: str, paginator: Paginator, first: dict[str, int]
) -> None:
    fake_server.add("GET /things", paged(ITEMS, style=style, per_page=5))  # type: ignore[arg-type]
    with APIClient(base_url=fake_server.url) as api:
        walked = list(api.paginate("/things", paginator=paginator, params=first))
    assert walked == ITEMS
    assert len(fake_server.requests) == 5


def test_link_pages_carry_first_prev_next_last_as_absolute_urls(fake_server: FakeServer) -> None:
    fake_server.add("GET /things", paged(ITEMS, per_page=10))
    with APIClient(base_url=fake_server.url) as api:
        response = api.get("/things", params={"page": 2}, raw=True)
    links = response.headers["Link"]
    for rel, page in [("first", 1), ("prev", 1), ("next", 3), ("last", 3)]:
        assert f'<{fake_server.url}things?page={page}&per_page=10>; rel="{rel}"' in links


def test_page_size_is_capped_like_a_real_api(fake_server: FakeServer) -> None:
    fake_server.add("GET /things", paged(ITEMS, style="page", max_per_page=4))
    with APIClient(base_url=fake_server.url) as api:
        body = api.get("/things", params={"per_page": 1000})
    assert len(body["items"]) == 4 and body["total"] == 23


class FakeWallClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_rate_limited_route_counts_down_refuses_then_resets(fake_server: FakeServer) -> None:
    clock = FakeWallClock()
    route = rate_limited(Reply(json={"ok": True}), limit=2, window=60, clock=clock)
    fake_server.add("GET /search", route)
    with APIClient(base_url=fake_server.url, retries=0, adaptive_throttle=False) as api:
        first = api.get("/search", raw=True)
        second = api.get("/search", raw=True)
        with pytest.raises(TooManyRequests) as refused:
            api.get("/search")
        clock.now += 60
        again = api.get("/search", raw=True)
    assert first.headers["X-RateLimit-Remaining"] == "1"
    assert second.headers["X-RateLimit-Remaining"] == "0"
    assert second.headers["X-RateLimit-Reset"] == "1000060"
    assert refused.value.retry_after == 60
    assert again.headers["X-RateLimit-Remaining"] == "1" and again.json() == {"ok": True}
    assert route.rejected == 1


def test_rate_limited_route_can_answer_403_as_github_does(fake_server: FakeServer) -> None:
    route = rate_limited(Reply(json={}), limit=0, window=60, status=403, clock=FakeWallClock())
    fake_server.add("GET /user", route)
    with APIClient(base_url=fake_server.url, retries=0, adaptive_throttle=False) as api:
        response = api.request("GET", "/user", raw=True)
    assert response.status == 403 and response.headers["Retry-After"] == "60"


def test_rate_limited_route_wraps_a_sequence_of_replies(fake_server: FakeServer) -> None:
    replies = [Reply(json=1), Reply(json=2)]
    fake_server.add("GET /n", rate_limited(replies, limit=5, window=60, clock=FakeWallClock()))
    with APIClient(base_url=fake_server.url) as api:
        assert [api.get("/n"), api.get("/n"), api.get("/n")] == [1, 2, 2]


def test_flaky_fails_then_recovers_and_the_client_retries_through(
    fake_server: FakeServer,
) -> None:
    fake_server.add("GET /flaky", flaky(Reply(json={"ok": True}), failures=2))
    with APIClient(base_url=fake_server.url, sleep=lambda seconds: None) as api:
        assert api.get("/flaky") == {"ok": True}
    assert [r.path for r in fake_server.requests] == ["/flaky"] * 3


def test_recorded_requests_know_their_absolute_url() -> None:
    with FakeServer({"/x": Reply()}) as server:
        with APIClient(base_url=server.url) as api:
            api.get("/x", params={"q": "1"})
        assert server.requests[0].url == f"{server.url}x?q=1"


def test_the_fixture_is_a_started_server_stopped_after_the_test(fake_server: FakeServer) -> None:
    assert fake_server.url.startswith("http://127.0.0.1:")
    assert fake_server.requests == []


def test_conditional_answers_304_while_the_body_is_unchanged(fake_server: FakeServer) -> None:
    version = {"n": 1}
    fake_server.add("GET /doc", conditional(lambda request: Reply(json=dict(version))))
    with APIClient(base_url=fake_server.url, cache=ETagCache()) as api:
        assert api.get("/doc") == {"n": 1}
        assert api.get("/doc") == {"n": 1}
        version["n"] = 2
        assert api.get("/doc") == {"n": 2}
    assert api.cache is not None and api.cache.hits == 1
    assert "If-None-Match" not in fake_server.requests[0].headers
    assert (
        fake_server.requests[1].headers["If-None-Match"]
        == fake_server.requests[2].headers["If-None-Match"]
    )


def test_a_shared_quota_counts_every_route_it_covers(fake_server: FakeServer) -> None:
    quota = rate_limited(Reply(json="a"), limit=2, window=60, clock=FakeWallClock())
    fake_server.add("GET /a", quota)
    fake_server.add("GET /b", quota.share(Reply(json="b")))
    with APIClient(base_url=fake_server.url, retries=0, adaptive_throttle=False) as api:
        assert [api.get("/a"), api.get("/b")] == ["a", "b"]
        with pytest.raises(TooManyRequests):
            api.get("/b")
    assert quota.quota()["remaining"] == 0 and quota.rejected == 1


@pytest.mark.parametrize(
    ("style", "query"),
    [("link", {"page": "x"}), ("cursor", {"cursor": "!!"}), ("offset", {"limit": "-"})],
)
def test_malformed_paging_input_gets_a_400(
    fake_server: FakeServer, style: str, query: dict[str, str]
) -> None:
    fake_server.add("GET /things", paged(ITEMS, style=style))  # type: ignore[arg-type]
    with APIClient(base_url=fake_server.url) as api:
        response = api.get("/things", params=query, raw=True)
    assert response.status == 400


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_body_cursor_pages_walk_with_the_body_cursor_paginator(
    fake_server: FakeServer, method: str
) -> None:
    fake_server.add(f"{method} /v1/databases/{{id}}/query", paged(ITEMS, style="body-cursor"))
    with APIClient(base_url=fake_server.url) as api:
        body = {"page_size": 10, "filter": {"n": "any"}} if method == "POST" else None
        params = {"page_size": 10} if method == "GET" else None
        walked = list(api.paginate("/v1/databases/db1/query", method=method, json=body,
                                   params=params, paginator=BodyCursor()))  # fmt: skip
    assert walked == ITEMS
    assert len(fake_server.requests) == 3
    assert {r.path_params["id"] for r in fake_server.requests} == {"db1"}
    if method == "POST":  # the cursor went back in the body, beside what was there
        last = fake_server.requests[-1].json()
        assert last["filter"] == {"n": "any"} and last["start_cursor"]


def test_graphql_pages_walk_with_the_graphql_connection_paginator(
    fake_server: FakeServer,
) -> None:
    fake_server.add("POST /graphql", paged(ITEMS, style="graphql", connection="repository.issues"))
    query = "query($first: Int, $after: String) { repository { issues(first: $first) { ... } } }"
    with APIClient(base_url=fake_server.url) as api:
        walked = list(api.paginate("/graphql", method="POST",
                                   json={"query": query, "variables": {"first": 8}},
                                   paginator=GraphQLConnection("repository.issues")))  # fmt: skip
    assert walked == ITEMS
    assert [r.json()["variables"].get("after") is None for r in fake_server.requests] == [
        True, False, False,
    ]  # fmt: skip


def test_route_parameters_match_one_segment_and_exact_routes_win() -> None:
    with FakeServer({
        "GET /v1/users/me": Reply(json={"who": "me"}),
        "GET /v1/users/{user}/repos/{repo}": lambda r: Reply(json=dict(r.path_params)),
        "/v1/files/*": Reply(json={"file": True}),
    }) as server, APIClient(base_url=server.url) as api:  # fmt: skip
        assert api.get("/v1/users/me") == {"who": "me"}
        assert api.get("/v1/users/ada/repos/engine") == {"user": "ada", "repo": "engine"}
        assert api.get("/v1/files/a/b/c.txt") == {"file": True}
        with pytest.raises(NotFound):
            api.get("/v1/users/ada/repos/engine/extra")  # {name} is one segment, not more


def test_a_strict_server_fails_an_unmatched_request_and_names_the_routes() -> None:
    server = FakeServer({"GET /v1/users/{id}": Reply(json={}), "POST /v1/users": Reply(201)},
                        strict=True)  # fmt: skip
    with pytest.raises(AssertionError) as failure, server:
        with APIClient(base_url=server.url) as api, pytest.raises(NotFound) as answered:
            api.get("/v1/uesrs/1")  # a typo
        assert "did you mean 'GET /v1/users/{id}'" in str(answered.value)
    message = str(failure.value)
    assert "1 request(s) matched no route" in message
    assert "GET /v1/uesrs/1" in message
    assert "GET /v1/users/{id}" in message and "POST /v1/users" in message


def test_a_lenient_server_answers_404_and_says_nothing() -> None:
    with FakeServer() as server, APIClient(base_url=server.url) as api, pytest.raises(NotFound):
        api.get("/nowhere")
    assert server.unmatched == []


def test_the_fixture_is_strict(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        from apiclient import APIClient, NotFound
        from apiclient.testing import Reply

        def test_typo(fake_server):
            fake_server.add("GET /users", Reply(json=[]))
            try:
                APIClient(base_url=fake_server.url).get("/usres")
            except NotFound:
                pass
    """)  # fmt: skip
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*matched no route*", "*GET /usres*"])


def test_assert_all_called_names_the_routes_never_asked_for(fake_server: FakeServer) -> None:
    fake_server.add_routes({"GET /a": Reply(json={}), "GET /b": Reply(json={})})
    with APIClient(base_url=fake_server.url) as api:
        api.get("/a")
    with pytest.raises(AssertionError, match=r"never called:\n  GET /b$"):
        fake_server.assert_all_called()
    with APIClient(base_url=fake_server.url) as api:
        api.get("/b")
    fake_server.assert_all_called()
