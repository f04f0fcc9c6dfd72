"""OpenTelemetryObserver with the real SDK: spans, events, metrics, propagation, no secrets."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from apiclient import (
    APIKey,
    AsyncAPIClient,
    BasicAuth,
    BearerToken,
    OAuth2ClientCredentials,
    Timeouts,
)
from apiclient.otel import OpenTelemetryObserver
from apiclient.testing import FakeServer, Reply

MakeClient = Callable[..., Any]
CANARIES = ("canary-t0ken-1234", "canary-k3y-5678", "canary-pa55word", "canary-h3ader-9")


class Telemetry:
    """An SDK tracer and meter provider, exporting into memory."""

    def __init__(self) -> None:
        self.spans = InMemorySpanExporter()
        self.tracer_provider = TracerProvider()
        self.tracer_provider.add_span_processor(SimpleSpanProcessor(self.spans))
        self.reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider(metric_readers=[self.reader])
        self.observer = OpenTelemetryObserver(self.tracer_provider, self.meter_provider)

    def finished(self) -> list[ReadableSpan]:
        return list(self.spans.get_finished_spans())

    def calls(self) -> list[ReadableSpan]:
        return [s for s in self.finished() if s.kind == SpanKind.INTERNAL]

    def attempts(self) -> list[ReadableSpan]:
        return [s for s in self.finished() if s.kind == SpanKind.CLIENT]

    def metrics(self) -> dict[str, list[Any]]:
        data = self.reader.get_metrics_data()
        found: dict[str, list[Any]] = {}
        for resource in data.resource_metrics if data else []:
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    found.setdefault(metric.name, []).extend(metric.data.data_points)
        return found


@pytest.fixture
def telemetry() -> Iterator[Telemetry]:
    found = Telemetry()
    yield found
    found.tracer_provider.shutdown()
    found.meter_provider.shutdown()


def test_a_success_is_a_call_span_with_one_attempt_child(
    make_client: MakeClient, server: FakeServer, telemetry: Telemetry
) -> None:
    server.add("/items", Reply(json=[1]))
    make_client(server, observers=[telemetry.observer]).get("/items", params={"page": 2})
    (call,), (attempt,) = telemetry.calls(), telemetry.attempts()
    assert attempt.parent is not None and attempt.parent.span_id == call.context.span_id
    assert attempt.context.trace_id == call.context.trace_id
    attributes = dict(attempt.attributes or {})
    assert attributes["http.request.method"] == "GET"
    assert attributes["server.address"] == "127.0.0.1" and attributes["server.port"] == server.port
    assert attributes["url.full"] == server.url + "items?page=2"
    assert attributes["http.response.status_code"] == 200
    assert "http.request.resend_count" not in attributes
    assert call.status.status_code == StatusCode.UNSET
    (point,) = telemetry.metrics()["http.client.request.duration"]
    assert point.count == 1 and point.attributes["http.response.status_code"] == 200


def test_a_retry_after_a_503_is_two_attempts_and_an_event(
    make_client: MakeClient, server: FakeServer, telemetry: Telemetry
) -> None:
    server.add("/x", [Reply(503, headers={"Retry-After": "1"}), Reply(json="ok")])
    make_client(server, observers=[telemetry.observer]).get("/x")
    first, second = telemetry.attempts()
    assert dict(first.attributes or {})["error.type"] == "503"
    assert first.status.status_code == StatusCode.ERROR
    assert dict(second.attributes or {})["http.request.resend_count"] == 1
    (call,) = telemetry.calls()
    events = [(e.name, dict(e.attributes or {})) for e in call.events]
    assert ("apiclient.retry", {"apiclient.retry.delay": 1.0, "apiclient.retry.cause": "503",
                                "http.request.resend_count": 1}) in events  # fmt: skip
    assert any(
        name == "apiclient.wait" and a["apiclient.wait.kind"] == "backoff" for name, a in events
    )
    (retries,) = telemetry.metrics()["apiclient.client.retries"]
    assert retries.value == 1


def test_a_timeout_then_a_success(
    make_client: MakeClient, server: FakeServer, telemetry: Telemetry
) -> None:
    server.add("/slow", [Reply(hang=True), Reply(json="ok")])
    api = make_client(server, observers=[telemetry.observer], timeout=Timeouts(2, 0.2, 30))
    api.get("/slow")
    timed_out, ok = telemetry.attempts()
    assert dict(timed_out.attributes or {})["error.type"] == "ReadTimeout"
    assert dict(ok.attributes or {})["http.response.status_code"] == 200
    assert len(telemetry.calls()) == 1


def test_a_redirect_and_the_traceparent_stay_home(
    make_client: MakeClient, server: FakeServer, other_server: FakeServer, telemetry: Telemetry
) -> None:
    server.add("/here", Reply(302, headers={"Location": "/there"}))
    server.add("/there", Reply(302, headers={"Location": other_server.url + "away"}))
    other_server.add("/away", Reply(json="elsewhere"))
    make_client(server, observers=[telemetry.observer]).get("/here")
    assert [dict(s.attributes or {})["url.full"] for s in telemetry.attempts()] == [
        server.url + "here", server.url + "there", other_server.url + "away",
    ]  # fmt: skip
    first, second = server.requests
    assert first.headers["traceparent"] != second.headers["traceparent"]  # one per attempt
    trace_id = f"{telemetry.calls()[0].context.trace_id:032x}"
    assert first.headers["traceparent"].split("-")[1] == trace_id
    assert "traceparent" not in other_server.requests[0].headers


def test_propagation_can_be_turned_off(make_client: MakeClient, server: FakeServer) -> None:
    server.add("/x", Reply(json=1))
    telemetry = Telemetry()
    observer = OpenTelemetryObserver(telemetry.tracer_provider, propagate="none")
    make_client(server, observers=[observer]).get("/x")
    assert "traceparent" not in server.requests[0].headers


def test_a_401_refresh_and_the_token_request_are_spans(
    make_client: MakeClient, server: FakeServer, telemetry: Telemetry
) -> None:
    tokens = iter(["tok-one-1234", "tok-two-5678"])
    server.add(
        "POST /token",
        lambda r: Reply(json={"access_token": next(tokens), "token_type": "Bearer"}),
    )
    server.add(
        "/me",
        lambda r: Reply(json="me") if "tok-two" in r.headers["Authorization"] else Reply(401),
    )
    auth = OAuth2ClientCredentials(server.url + "token", "id", "s3cret-xyz", allow_http=True)
    make_client(server, auth=auth, observers=[telemetry.observer]).get("/me")
    kinds = [dict(s.attributes or {})["apiclient.call.kind"] for s in telemetry.calls()]
    assert sorted(kinds) == ["oauth.token", "oauth.token", "request"]
    outer = next(
        s for s in telemetry.calls() if dict(s.attributes or {})["apiclient.call.kind"] == "request"
    )
    assert [dict(a.attributes or {})["http.response.status_code"] for a in telemetry.attempts()
            if dict(a.attributes or {})["url.full"].endswith("/me")] == [401, 200]  # fmt: skip
    for token_call in telemetry.calls():
        if token_call is not outer:
            assert token_call.context.trace_id == outer.context.trace_id  # nested in the call


def test_no_canary_secret_in_any_span_event_or_metric(
    make_client: MakeClient, server: FakeServer, telemetry: Telemetry
) -> None:
    token, key, password, header = CANARIES
    server.add("/x", [Reply(503), Reply(200, json={"echo": token})])
    for auth in (BearerToken(token), APIKey(key, param="api_key"), BasicAuth("user", password)):
        api = make_client(
            server, auth=auth, observers=[telemetry.observer], headers={"X-Secret": header}
        )
        api.get("/x", params={"session": token})
        server.add("/x", [Reply(503), Reply(200, json={"echo": token})])
    dumped = json.dumps(
        [span.to_json() for span in telemetry.finished()]
        + [str(point.attributes) for points in telemetry.metrics().values() for point in points]
    )
    assert len(telemetry.calls()) == 3
    for canary in CANARIES:
        assert canary not in dumped
    assert "[redacted]" in dumped


def test_a_cancelled_async_call_closes_its_spans(server: FakeServer, telemetry: Telemetry) -> None:
    async def scenario() -> None:
        loop, arrived = asyncio.get_running_loop(), asyncio.Event()

        def hang(request: Any) -> Reply:
            loop.call_soon_threadsafe(arrived.set)
            return Reply(hang=True)

        server.add("/hang", hang)
        async with AsyncAPIClient(base_url=server.url, observers=[telemetry.observer]) as api:
            task = asyncio.create_task(api.get("/hang"))
            await asyncio.wait_for(arrived.wait(), 30)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            server.add("/ok", Reply(json=1))
            await api.get("/ok")  # the next call starts a trace of its own

    asyncio.run(scenario())
    cancelled, ok = telemetry.attempts()
    assert dict(cancelled.attributes or {})["error.type"] == "CancelledError"
    assert cancelled.context.trace_id != ok.context.trace_id


def test_pages_and_streams_are_traced(
    make_client: MakeClient, server: FakeServer, telemetry: Telemetry
) -> None:
    from apiclient.testing import paged

    server.add("/items", paged(list(range(5)), per_page=2))
    server.add("/file", Reply(body=b"x" * 10_000))
    api = make_client(server, observers=[telemetry.observer])
    assert len(list(api.paginate("/items"))) == 5
    with api.stream("GET", "/file") as download:
        download.read()
    urls = [dict(s.attributes or {})["url.full"] for s in telemetry.attempts()]
    assert len(urls) == 4 and urls[-1] == server.url + "file"
