"""The sync client against real loopback servers: verbs, bodies, errors, timeouts, retries."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from apiclient import (
    BadRequest,
    ClientError,
    ConnectError,
    DecodeError,
    HTTPStatusError,
    InternalServerError,
    NotFound,
    ProtocolError,
    ReadTimeout,
    Response,
    ResponseTooLarge,
    RetryPolicy,
    ServerError,
    ServiceUnavailable,
    Timeout,
    Timeouts,
    TooManyRequests,
    TransportError,
)
from apiclient.testing import FakeServer, RecordedRequest, Reply

from .conftest import Acme, Sleeps

MakeClient = Callable[..., Acme]


def echo(request: RecordedRequest) -> Reply:
    return Reply(
        json={
            "method": request.method,
            "args": request.query,
            "body": request.body.decode(),
            "content_type": request.headers.get("Content-Type"),
        }
    )


def test_call_is_a_get_returning_the_decoded_body(
    server: FakeServer, make_client: MakeClient
) -> None:
    server.add("GET /echo", lambda r: Reply(json=r.args))
    api = make_client(server)
    assert api.call("/echo", ping="pong") == {"ping": "pong"}
    assert api.call("echo", params={"ping": "pong"}) == {"ping": "pong"}


@pytest.mark.parametrize("verb", ["get", "post", "put", "patch", "delete"])
def test_verbs_send_their_method(verb: str, server: FakeServer, make_client: MakeClient) -> None:
    server.add("/echo", echo)
    assert getattr(make_client(server), verb)("/echo")["method"] == verb.upper()


def test_request_with_params_json_and_form(server: FakeServer, make_client: MakeClient) -> None:
    server.add("/echo", echo)
    api = make_client(server)
    got = api.request("POST", "/echo", params={"tags": ["a", "b"], "x": None}, json={"n": "é"})
    assert got["args"] == {"tags": ["a", "b"]}
    assert got["content_type"] == "application/json"
    assert got["body"] == '{"n":"é"}'
    form = api.post("/echo", data={"a": "1 2", "b": True})
    assert (form["body"], form["content_type"]) == (
        "a=1+2&b=true",
        "application/x-www-form-urlencoded",
    )
    assert api.put("/echo", data=b"\x00raw")["body"] == "\x00raw"


def test_raw_returns_the_response_whatever_the_status(
    server: FakeServer, make_client: MakeClient
) -> None:
    server.add("/gone", Reply(404, json={"error": "nope"}, headers={"X-Trace": "t1"}))
    response = make_client(server).get("/gone", raw=True)
    assert isinstance(response, Response)
    assert (response.status, response.headers["x-trace"], response.json()) == (
        404,
        "t1",
        {"error": "nope"},
    )


def test_text_and_bytes_and_empty_bodies(server: FakeServer, make_client: MakeClient) -> None:
    server.add("/text", Reply(body="héllo", headers={"Content-Type": "text/plain; charset=utf-8"}))
    server.add("/bin", Reply(body=b"\x89PNG", headers={"Content-Type": "image/png"}))
    server.add("/empty", Reply(204))
    api = make_client(server)
    assert api.get("/text") == "héllo"
    assert api.get("/bin") == b"\x89PNG"
    assert api.delete("/empty") is None


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, BadRequest),
        (404, NotFound),
        (418, ClientError),
        (500, InternalServerError),
        (599, ServerError),
    ],
)
def test_error_statuses_raise_typed_errors(
    status: int, error: type[HTTPStatusError], server: FakeServer, make_client: MakeClient
) -> None:
    server.add("/x", Reply(status, json={"message": "bad thing"}))
    with pytest.raises(error) as caught:
        make_client(server, retries=0).get("/x", params={"page": 2})
    err = caught.value
    assert err.status == status and err.response.status == status
    assert err.body == {"message": "bad thing"}
    assert err.request is not None and err.request.method == "GET"
    assert err.request.url == f"{server.url}x?page=2"
    assert str(status) in str(err) and "/x?page=2" in str(err)


def test_bad_json_raises_decode_error(server: FakeServer, make_client: MakeClient) -> None:
    server.add("/x", Reply(body="{not json", headers={"Content-Type": "application/json"}))
    with pytest.raises(DecodeError) as caught:
        make_client(server).get("/x")
    assert caught.value.status == 200 and caught.value.snippet == "{not json"


def test_a_refused_port_gives_connect_error(make_client: MakeClient, sleeps: Sleeps) -> None:
    with FakeServer() as doomed:
        pass  # stopped: nothing listens on its port any more
    api = make_client(doomed, retries=RetryPolicy(max_retries=2, jitter=lambda: 1.0))
    with pytest.raises(ConnectError) as caught:
        api.get("/x")
    assert caught.value.attempts == 3 and sleeps == [0.5, 1.0]
    assert caught.value.may_have_been_processed is False
    assert isinstance(caught.value, TransportError)


def test_a_hanging_server_gives_timeout(server: FakeServer, make_client: MakeClient) -> None:
    server.add("/hang", Reply(hang=True))
    api = make_client(server, timeout=0.2, retries=0)
    with pytest.raises(ReadTimeout):
        api.get("/hang")
    assert isinstance(api.timeout, Timeouts) and api.timeout.read == 0.2


def test_per_request_timeout_overrides_the_client(
    server: FakeServer, make_client: MakeClient
) -> None:
    server.add("/hang", Reply(hang=True))
    with pytest.raises(Timeout):
        make_client(server).get("/hang", timeout=0.2, retries=0)


def test_total_deadline_stops_a_server_that_drips(
    server: FakeServer, make_client: MakeClient
) -> None:
    # Each byte arrives well within the read timeout; only the total deadline can stop it.
    server.add("/drip", Reply(body=b"x" * 10_000, drip=0.02))
    api = make_client(server, timeout=Timeouts(connect=5, read=5, total=0.3), retries=0)
    with pytest.raises(ReadTimeout):
        api.get("/drip")


def test_the_client_still_works_after_a_timeout(
    server: FakeServer, make_client: MakeClient
) -> None:
    server.add("/hang", Reply(hang=True))
    server.add("/ok", Reply(json=1))
    api = make_client(server, timeout=0.2, retries=0, pool_maxsize=1)
    with pytest.raises(Timeout):
        api.get("/hang")
    assert api.get("/ok") == 1


def test_get_is_retried_on_503_but_post_is_not(server: FakeServer, make_client: MakeClient) -> None:
    server.add("/flaky", [Reply(503), Reply(503), Reply(json="ok")])
    api = make_client(server)
    assert api.get("/flaky") == "ok"
    assert len(server.requests_to("/flaky")) == 3
    server.add("/flaky-post", [Reply(503), Reply(json="ok")])
    with pytest.raises(ServiceUnavailable):
        api.post("/flaky-post", json={})
    assert len(server.requests_to("/flaky-post")) == 1


def test_post_with_idempotency_key_is_retried_with_the_same_key(
    server: FakeServer, make_client: MakeClient
) -> None:
    server.add("/charge", [Reply(503), Reply(201, json="charged")])
    api = make_client(server, idempotency_keys=True)
    assert api.post("/charge", json={"amount": 1}) == "charged"
    keys = {r.headers["Idempotency-Key"] for r in server.requests_to("/charge")}
    assert len(server.requests_to("/charge")) == 2 and len(keys) == 1
    api.post("/charge", json={"amount": 1})
    assert len({r.headers["Idempotency-Key"] for r in server.requests_to("/charge")}) == 2


def test_explicit_idempotency_key(server: FakeServer, make_client: MakeClient) -> None:
    server.add("/charge", [Reply(502), Reply(json="ok")])
    assert make_client(server).post("/charge", idempotency_key="order-7") == "ok"
    assert [r.headers["Idempotency-Key"] for r in server.requests] == ["order-7", "order-7"]


def test_retry_after_is_honoured_with_the_injected_sleep(
    server: FakeServer, make_client: MakeClient, sleeps: Sleeps
) -> None:
    server.add("/limited", [Reply(429, headers={"Retry-After": "3"}), Reply(json="ok")])
    assert make_client(server).get("/limited") == "ok"
    assert sleeps == [3.0]


def test_retry_after_beyond_the_ceiling_raises_at_once(
    server: FakeServer, make_client: MakeClient, sleeps: Sleeps
) -> None:
    server.add("/limited", Reply(429, headers={"Retry-After": "3600"}))
    with pytest.raises(TooManyRequests) as caught:
        make_client(server).get("/limited")
    assert caught.value.retry_after == 3600.0
    assert sleeps == [] and len(server.requests) == 1


def test_retries_zero_turns_retrying_off_for_one_call(
    server: FakeServer, make_client: MakeClient
) -> None:
    server.add("/flaky", [Reply(503), Reply(json="ok")])
    with pytest.raises(ServiceUnavailable) as caught:
        make_client(server).get("/flaky", retries=0)
    assert caught.value.attempts == 1


def test_retries_exhausted_raise_the_last_status(
    server: FakeServer, make_client: MakeClient
) -> None:
    server.add("/down", Reply(503))
    with pytest.raises(ServiceUnavailable) as caught:
        make_client(server, retries=2).get("/down")
    assert caught.value.attempts == 3 and len(server.requests) == 3


def test_a_dropped_connection_mid_request_is_retried_for_get_only(
    server: FakeServer, make_client: MakeClient
) -> None:
    server.add("/drop", [Reply(close=True), Reply(json="ok")])
    assert make_client(server).get("/drop") == "ok"
    server.add("/drop-post", [Reply(close=True), Reply(json="ok")])
    with pytest.raises(ProtocolError) as caught:
        make_client(server).post("/drop-post")
    assert caught.value.may_have_been_processed is True
    assert len(server.requests_to("/drop-post")) == 1


def test_a_connection_closed_while_idle_is_replaced_even_for_post(
    server: FakeServer, make_client: MakeClient
) -> None:
    server.add("/bye", Reply(json="first", close_after=True))
    server.add("POST /next", Reply(json="second"))
    api = make_client(server, retries=0)
    assert api.get("/bye") == "first"
    assert server.wait_closed(1)
    assert api.post("/next") == "second"
    assert server.connections_opened == 2


def test_keep_alive_reuses_one_connection(server: FakeServer, make_client: MakeClient) -> None:
    server.add("/x", Reply(json=1))
    api = make_client(server)
    for _ in range(20):
        api.get("/x")
    assert server.connections_opened == 1


def test_oversized_body_is_refused(server: FakeServer, make_client: MakeClient) -> None:
    server.add("/big", Reply(body=b"x" * 5000))
    api = make_client(server, max_body_bytes=4096)
    with pytest.raises(ResponseTooLarge):
        api.get("/big")
    assert api.get("/big", max_body_bytes=5000) == b"x" * 5000


def test_gzip_bomb_is_refused_by_its_decoded_size(
    server: FakeServer, make_client: MakeClient
) -> None:
    import gzip

    bomb = gzip.compress(b"\0" * 20_000_000)  # ~20 KB on the wire, 20 MB decoded
    server.add("/bomb", Reply(body=bomb, headers={"Content-Encoding": "gzip"}))
    with pytest.raises(ResponseTooLarge):
        make_client(server, max_body_bytes=1_000_000).get("/bomb")


def test_header_injection_is_refused_before_sending(
    server: FakeServer, make_client: MakeClient
) -> None:
    api = make_client(server)
    with pytest.raises(ValueError):
        api.get("/x", headers={"X-Note": "a\r\nX-Injected: 1"})
    with pytest.raises(ValueError):
        api.get("/x", headers={"X-Bad\r\nName": "v"})
    with pytest.raises(ValueError):
        Acme(base_url=server.url, headers={"X-Note": "a\nb"})
    assert server.requests == []


def test_default_and_custom_headers_are_sent(server: FakeServer, make_client: MakeClient) -> None:
    server.add("/x", Reply(json=1))
    make_client(server, headers={"X-Team": "blue"}).get("/x", headers={"X-Call": "1"})
    sent = server.requests[0].headers
    assert sent["X-Team"] == "blue" and sent["X-Call"] == "1"
    assert sent["User-Agent"].startswith("apiclient/") and sent["Accept"] == "application/json"


def test_close_and_context_manager_release_connections(server: FakeServer) -> None:
    server.add("/x", Reply(json=1))
    with Acme(base_url=server.url) as api:
        api.get("/x")
    assert server.wait_closed(1)


def test_seed_request_alias(server: FakeServer, make_client: MakeClient) -> None:
    server.add("/echo", echo)
    assert make_client(server)._request("GET", "/echo", params={"a": "1"})["args"] == {"a": ["1"]}


def test_status_errors_carry_any_retry_after(server: FakeServer, make_client: MakeClient) -> None:
    server.add("/busy", Reply(503, headers={"Retry-After": "120"}))
    with pytest.raises(ServiceUnavailable) as caught:
        make_client(server).get("/busy")
    assert caught.value.retry_after == 120.0


def test_method_is_validated(server: FakeServer, make_client: MakeClient) -> None:
    with pytest.raises(ValueError):
        make_client(server).request("GET /x HTTP/1.1\r\n", "/")


def test_a_body_cut_short_is_a_protocol_error(server: FakeServer, make_client: MakeClient) -> None:
    server.add(
        "/short", Reply(body=b"x" * 1000, headers={"Content-Length": "5000"}, close_after=True)
    )
    server.add("/after", Reply(json="fine"))
    api = make_client(server, retries=0)
    with pytest.raises(ProtocolError):
        api.get("/short")
    assert api.get("/after") == "fine"  # the broken connection was not reused


def test_settings_changed_after_construction_take_effect(
    server: FakeServer, make_client: MakeClient
) -> None:
    server.add("/flaky", [Reply(503), Reply(json="ok")])
    server.add("/big", Reply(body=b"x" * 5000))
    api = make_client(server)
    api.retries = 0
    api.max_body_bytes = 4096
    api.timeout = 7
    assert (api.retries.max_retries, api.max_body_bytes, api.timeout.read) == (0, 4096, 7.0)
    with pytest.raises(ServiceUnavailable):
        api.get("/flaky")
    with pytest.raises(ResponseTooLarge):
        api.get("/big")
