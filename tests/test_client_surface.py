"""The client author's layer: declared errors, 429 for any method, with_options, RETRIES."""

from __future__ import annotations

import pickle
import typing
from collections.abc import Callable
from typing import Any, ClassVar

import pytest

from apiclient import (
    APIClient,
    AsyncAPIClient,
    BearerToken,
    HTTPStatusError,
    NotFound,
    Response,
    RetryPolicy,
    ServiceUnavailable,
    Timeouts,
    TooManyRequests,
    UnprocessableEntity,
)
from apiclient.testing import FakeServer, Reply

from .conftest import Acme, Sleeps

MakeClient = Callable[..., Any]


class ObjectNotFound(NotFound):
    """Notion's ``object_not_found``."""


class RateLimited(TooManyRequests):
    """Notion's ``rate_limited``."""


class ValidationFailed(HTTPStatusError):
    """Any ``validation_error``, whatever its status."""


class Notion(Acme):
    ERRORS: ClassVar[dict[str | int, type[HTTPStatusError]]] = {
        "object_not_found": ObjectNotFound,
        "validation_error": ValidationFailed,
        503: ServiceUnavailable,
    }


def test_declared_errors_map_the_apis_codes_to_classes(server: FakeServer) -> None:
    body = {"object": "error", "code": "object_not_found", "message": "Could not find db1."}
    server.add("/v1/databases/db1", Reply(404, json=body))
    server.add("/v1/bad", Reply(400, json={"code": "validation_error", "message": "body.x"}))
    api = Notion(base_url=server.url, retries=0)
    with pytest.raises(ObjectNotFound) as caught:
        api.get("/v1/databases/db1")
    error = caught.value
    assert isinstance(error, NotFound) and error.status == 404 and error.code == "object_not_found"
    assert error.detail == "Could not find db1." and error.body == body and error.attempts == 1
    assert str(error).startswith("404 Not Found: Could not find db1. (GET ")
    assert error.request is not None and error.request.url.endswith("/v1/databases/db1")
    with pytest.raises(ValidationFailed):
        api.get("/v1/bad")


def test_an_error_code_hook_reads_another_shape(
    make_client: MakeClient, server: FakeServer
) -> None:
    class Teapot(HTTPStatusError):
        pass

    class Odd(Acme):
        ERRORS: ClassVar[dict[str | int, type[HTTPStatusError]]] = {"TEAPOT": Teapot}

        def error_code(self, response: Response, body: Any) -> str | None:
            return str(body["meta"]["kind"]).upper()

    server.add("/brew", Reply(418, json={"meta": {"kind": "teapot"}}))
    with pytest.raises(Teapot) as caught:
        Odd(base_url=server.url).get("/brew")
    assert caught.value.code == "TEAPOT"


def test_a_422_says_what_the_server_said(make_client: MakeClient, server: FakeServer) -> None:
    body = {
        "message": "Validation Failed",
        "errors": [{"resource": "Issue", "field": "title", "code": "missing_field"}],
    }
    server.add("POST /issues", Reply(422, json=body))
    with pytest.raises(UnprocessableEntity) as caught:
        make_client(server).post("/issues", json={})
    text = str(caught.value)
    assert (
        "Validation Failed" in text
        and "missing_field" in text
        and len(caught.value.detail or "") <= 200
    )


def test_an_echoed_secret_never_reaches_the_errors_text(
    make_client: MakeClient, server: FakeServer
) -> None:
    server.add("/me", Reply(401, json={"message": "bad token ghp-s3cret-123456"}))
    with pytest.raises(HTTPStatusError) as caught:
        make_client(server, auth=BearerToken("ghp-s3cret-123456")).get("/me")
    assert "ghp-s3cret" not in str(caught.value) and "[redacted]" in str(caught.value)
    assert b"ghp-s3cret" not in pickle.dumps(caught.value)


def test_a_429_on_a_post_is_retried_once_after_its_retry_after(
    make_client: MakeClient, server: FakeServer, sleeps: Sleeps
) -> None:
    server.add(
        "POST /orders",
        [Reply(429, headers={"Retry-After": "3"}), Reply(201, json={"id": 1})],
    )
    assert make_client(server).post("/orders", json={"sku": "a"}) == {"id": 1}
    assert len(server.requests_to("/orders")) == 2 and sleeps == [3.0]


def test_a_post_is_still_never_retried_on_a_5xx(
    make_client: MakeClient, server: FakeServer
) -> None:
    server.add("POST /orders", [Reply(503), Reply(201, json={"id": 1})])
    with pytest.raises(ServiceUnavailable):
        make_client(server).post("/orders", json={"sku": "a"})
    assert len(server.requests_to("/orders")) == 1


def test_with_options_shares_the_pool_and_changes_only_what_it_says(
    make_client: MakeClient, server: FakeServer
) -> None:
    server.add("/x", lambda r: Reply(json=r.headers.get("X-Trace", "")))
    api = make_client(server, headers={"X-App": "1"})
    quick = api.with_options(timeout=Timeouts(connect=1, read=2, total=3), retries=0,
                             headers={"X-Trace": "t1"})  # fmt: skip
    assert quick.get("/x") == "t1" and api.get("/x") == ""
    assert quick.timeout == Timeouts(1, 2, 3) and quick.retries.max_retries == 0
    assert api.timeout == Timeouts() and api.retries.max_retries == 3
    quick.close()  # leaves the shared connections open
    assert api.get("/x") == ""
    assert server.connections_opened == 1  # one pooled connection served both clients
    assert all(r.headers["X-App"] == "1" for r in server.requests)


class Patient(APIClient):
    RETRIES = RetryPolicy(max_retries=5, backoff_factor=0)
    TIMEOUT = Timeouts(connect=1, read=5, total=20)


def test_retries_and_timeout_class_attributes_are_the_defaults(
    server: FakeServer, sleeps: Sleeps
) -> None:
    server.add("/flaky", [Reply(503)] * 5 + [Reply(json="ok")])
    with Patient(base_url=server.url, sleep=sleeps) as api:
        assert api.get("/flaky") == "ok" and api.retries.max_retries == 5
        assert api.timeout.total == 20
    with Patient(base_url=server.url, retries=1) as api:
        assert api.retries.max_retries == 1


def test_response_has_the_habits_of_requests_and_httpx(
    make_client: MakeClient, server: FakeServer
) -> None:
    server.add("/x", Reply(404, json={"message": "nope"}))
    response = make_client(server).get("/x?token=s3cret", raw=True)
    assert response.status_code == 404 and response.content == b'{"message": "nope"}'
    assert response.json() == {"message": "nope"}
    assert "GET" in repr(response) and "s3cret" not in repr(response) and "404" in repr(response)
    with pytest.raises(NotFound) as caught:
        response.raise_for_status()
    assert caught.value.detail == "nope" and caught.value.request is not None
    assert "s3cret" not in str(caught.value)
    ok = Response(200)
    assert ok.raise_for_status() is ok


@pytest.mark.parametrize("client", [APIClient, AsyncAPIClient])
def test_the_verbs_type_hints_resolve_at_run_time(client: type[Any]) -> None:
    for verb in ("get", "post", "request", "call", "paginate", "stream"):
        hints = typing.get_type_hints(getattr(client, verb))
        assert "return" in hints


def test_paginate_refuses_an_unknown_option(make_client: MakeClient, server: FakeServer) -> None:
    with pytest.raises(TypeError, match="unexpected"):
        make_client(server).paginate("/x", per_page=3)
