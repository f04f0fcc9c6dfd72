"""Redirects followed by apiclient itself, over real servers on two origins."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from apiclient import BearerToken, RedirectError, TooManyRedirects
from apiclient.testing import FakeServer, RecordedRequest, Reply

from .conftest import Acme

MakeClient = Callable[..., Acme]


def test_same_origin_redirect_keeps_the_token(server: FakeServer, make_client: MakeClient) -> None:
    server.add("/old", Reply(301, headers={"Location": "/new"}))
    server.add("/new", Reply(json="moved"))
    assert make_client(server, auth=BearerToken("tok-1")).get("/old") == "moved"
    assert server.requests_to("/new")[0].headers["Authorization"] == "Bearer tok-1"


def test_cross_origin_redirect_drops_the_token_and_custom_credentials(
    server: FakeServer, other_server: FakeServer, make_client: MakeClient
) -> None:
    server.add("/start", Reply(302, headers={"Location": other_server.url + "landing"}))
    other_server.add("/landing", Reply(json="elsewhere"))
    api = make_client(server, auth=BearerToken("tok-1"), headers={"X-Internal-Key": "k-9"})
    assert api.get("/start", headers={"Cookie": "session=abc"}) == "elsewhere"
    landed = other_server.requests[0].headers
    assert "Authorization" not in landed and "X-Internal-Key" not in landed
    assert "Cookie" not in landed and landed["Accept"] == "application/json"


def test_cross_origin_redirect_drops_a_query_api_key(
    server: FakeServer, other_server: FakeServer, make_client: MakeClient
) -> None:
    def bounce(request: RecordedRequest) -> Reply:  # a server that echoes the query onwards
        return Reply(
            302, headers={"Location": other_server.url + "landing?" + request.target.split("?")[1]}
        )

    server.add("/start", bounce)
    other_server.add("/landing", Reply(json="ok"))
    make_client(server, api_key="k3y-s3cret").call("/start", page=3)
    assert server.requests[0].args == {"key": "k3y-s3cret", "page": "3"}
    assert other_server.requests[0].args == {"page": "3"}


def test_303_after_post_becomes_get(server: FakeServer, make_client: MakeClient) -> None:
    server.add("POST /orders", Reply(303, headers={"Location": "/orders/1"}))
    server.add("GET /orders/1", lambda r: Reply(json={"method": r.method, "body": r.body.decode()}))
    assert make_client(server).post("/orders", json={"n": 1}) == {"method": "GET", "body": ""}


def test_307_keeps_method_and_body(server: FakeServer, make_client: MakeClient) -> None:
    server.add("POST /upload", Reply(307, headers={"Location": "/upload-here"}))
    server.add("POST /upload-here", lambda r: Reply(json=r.json()))
    assert make_client(server).post("/upload", json={"n": 1}) == {"n": 1}


def test_redirect_loop_raises_too_many_redirects(
    server: FakeServer, make_client: MakeClient
) -> None:
    server.add("/loop", Reply(302, headers={"Location": "/loop"}))
    with pytest.raises(TooManyRedirects):
        make_client(server, max_redirects=5).get("/loop")
    assert len(server.requests) == 6


def test_following_can_be_turned_off(server: FakeServer, make_client: MakeClient) -> None:
    server.add("/old", Reply(302, headers={"Location": "/new"}))
    response = make_client(server, max_redirects=0).get("/old", raw=True)
    assert response.status == 302 and response.headers["Location"] == "/new"


def test_https_to_http_is_refused(
    tls_server: FakeServer, server: FakeServer, ca_file: object
) -> None:
    tls_server.add("/down", Reply(302, headers={"Location": server.url + "plain"}))
    with Acme(base_url=tls_server.url, ca_certs=str(ca_file)) as api, pytest.raises(RedirectError):
        api.get("/down")
    assert server.requests == []


def test_redirect_body_is_not_decoded(server: FakeServer, make_client: MakeClient) -> None:
    server.add(
        "/old",
        Reply(302, headers={"Location": "/new", "Content-Encoding": "gzip"}, body=b"not gzip"),
    )
    server.add("/new", Reply(json="fine"))
    api = make_client(server)
    assert api.get("/old") == "fine"  # a decoded "gzip" body would have raised DecodeError
