"""Conditional requests and hooks, against the loopback server."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from apiclient import ETagCache, Request, Response, redact_url
from apiclient.testing import FakeServer, RecordedRequest, Reply

from .conftest import Acme

MakeClient = Callable[..., Acme]


def etag_endpoint(request: RecordedRequest) -> Reply:
    if request.headers.get("If-None-Match") == '"v1"':
        return Reply(304, headers={"ETag": '"v1"'})
    return Reply(json={"name": "octocat"}, headers={"ETag": '"v1"'})


def test_etag_revalidation_returns_the_cached_body_on_304(
    server: FakeServer, make_client: MakeClient
) -> None:
    server.add("/users/octocat", etag_endpoint)
    cache = ETagCache(maxsize=10)
    api = make_client(server, cache=cache)
    assert api.get("/users/octocat") == {"name": "octocat"}
    assert api.get("/users/octocat") == {"name": "octocat"}
    assert [r.headers.get("If-None-Match") for r in server.requests] == [None, '"v1"']
    assert cache.hits == 1
    assert api.get("/users/octocat", raw=True).status == 200  # the cached response


def test_last_modified_revalidation(server: FakeServer, make_client: MakeClient) -> None:
    stamp = "Wed, 21 Oct 2015 07:28:00 GMT"

    def handler(request: RecordedRequest) -> Reply:
        if request.headers.get("If-Modified-Since") == stamp:
            return Reply(304)
        return Reply(json=[1, 2], headers={"Last-Modified": stamp})

    server.add("/list", handler)
    api = make_client(server, cache=ETagCache())
    assert api.get("/list") == api.get("/list") == [1, 2]
    assert server.requests[1].headers["If-Modified-Since"] == stamp


def test_a_304_without_a_cache_is_not_an_error(server: FakeServer, make_client: MakeClient) -> None:
    server.add("/x", Reply(304))
    assert make_client(server).get("/x", headers={"If-None-Match": '"v9"'}) is None


def test_the_cache_is_a_bounded_lru(server: FakeServer, make_client: MakeClient) -> None:
    server.add("/item*", lambda r: Reply(json=r.path, headers={"ETag": f'"{r.path}"'}))
    cache = ETagCache(maxsize=2)
    api = make_client(server, cache=cache)
    for path in ("/item1", "/item2", "/item1", "/item3"):
        api.get(path)
    assert len(cache) == 2  # item1 (used recently) and item3; item2 was evicted
    api.get("/item3")
    assert server.requests[-1].headers["If-None-Match"] == '"/item3"'
    api.get("/item2")
    assert "If-None-Match" not in server.requests[-1].headers


def test_the_cache_is_safe_between_threads(server: FakeServer, make_client: MakeClient) -> None:
    server.add("/n*", lambda r: Reply(json=r.path, headers={"ETag": f'"{r.path}"'}))
    cache = ETagCache(maxsize=5)
    api = make_client(server, cache=cache)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda i: api.get(f"/n{i % 8}"), range(200)))
    assert results == [f"/n{i % 8}" for i in range(200)]
    assert len(cache) == 5


def test_only_gets_are_conditional(server: FakeServer, make_client: MakeClient) -> None:
    server.add("/doc", lambda r: Reply(json=r.method, headers={"ETag": '"e"'}))
    api = make_client(server, cache=ETagCache())
    api.get("/doc")
    api.put("/doc", json={})
    assert "If-None-Match" not in server.requests[-1].headers


def test_hooks_run_once_per_attempt_including_retries(
    server: FakeServer, make_client: MakeClient
) -> None:
    server.add("/flaky", [Reply(503), Reply(302, headers={"Location": "/final"})])
    server.add("/final", Reply(json="ok"))
    seen: list[tuple[str, object]] = []

    def on_request(request: Request) -> None:
        request.headers["X-Request-Id"] = "req-1"  # a custom header, added on every attempt
        seen.append(("request", request.url.rsplit("/", 1)[-1]))

    def on_response(request: Request, response: Response) -> None:
        seen.append(("response", response.status))

    api = make_client(server, on_request=on_request, on_response=[on_response])
    assert api.get("/flaky") == "ok"
    assert seen == [
        ("request", "flaky"),
        ("response", 503),
        ("request", "flaky"),
        ("response", 302),
        ("request", "final"),
        ("response", 200),
    ]
    assert all(r.headers["X-Request-Id"] == "req-1" for r in server.requests)


def test_a_timing_hook_as_the_docs_show(
    server: FakeServer, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    server.add("/x", Reply(json=1))
    started: dict[int, float] = {}

    def start(request: Request) -> None:
        started[id(request)] = time.perf_counter()

    def finish(request: Request, response: Response) -> None:
        elapsed = time.perf_counter() - started.pop(id(request))
        logging.getLogger("metrics").info(
            "%s %s %d %.1fms",
            request.method,
            redact_url(request.url),
            response.status,
            elapsed * 1000,
        )

    with caplog.at_level(logging.INFO, logger="metrics"):
        make_client(server, on_request=start, on_response=finish).get(
            "/x", params={"token": "s3cret"}
        )
    assert (
        "GET" in caplog.text and "token=[redacted]" in caplog.text and "s3cret" not in caplog.text
    )


def test_an_async_def_hook_is_refused_when_the_client_is_made(
    server: FakeServer, make_client: MakeClient
) -> None:
    async def on_response(request: Request, response: Response) -> None:  # pragma: no cover
        pass

    with pytest.raises(TypeError, match="not async def"):
        make_client(server, on_response=[on_response])
    with pytest.raises(TypeError, match="not async def"):
        make_client(server, on_request=on_response)


def test_the_cache_says_what_it_holds() -> None:
    from apiclient import ETagCache

    cache = ETagCache(maxsize=10)
    assert repr(cache) == "<ETagCache 0/10 entries, 0 hits>"
