"""OpenTelemetry traces and metrics for apiclient calls, without a secret in them.

    from apiclient.otel import OpenTelemetryObserver
    api = AcmeClient(observers=[OpenTelemetryObserver()])   # the global providers

Needs ``opentelemetry-api`` (``pip install 'apiclient[otel]'``; the SDK and an exporter are
yours to configure). Each call is a span (``INTERNAL``) with a child span per attempt
(``CLIENT``: every retry and every redirect hop), following the HTTP client semantic
conventions: ``http.request.method``, ``server.address``, ``server.port``, ``url.full``
(redacted by the client's own allowlist: a query parameter it does not know to be
harmless shows as ``[redacted]``), ``http.response.status_code``, ``error.type`` and
``http.request.resend_count``. Retries and waits (limiter, concurrency, server pause,
backoff, token refresh) are events on the call's span, with their seconds and cause. An
OAuth token request is a span of its own inside the attempt it authorises
(``apiclient.call.kind = "oauth.token"``). The attempt's context goes out as W3C
``traceparent`` (the global propagator) to the client's own origin only, unless
``propagate`` says otherwise.

Metrics: ``http.client.request.duration`` (a histogram, seconds, per attempt), and
``apiclient.client.retries``, ``apiclient.client.pauses`` (pauses the server asked for)
and ``apiclient.client.wait.duration`` (seconds waited, by ``apiclient.wait.kind``). Their
attributes are the method, host, port, status and error type: never a URL or a header.

Turn off the generic urllib3 and aiohttp instrumentations for apiclient's clients: they
would trace each attempt twice, and they record ``url.full`` with its query string,
credentials included.
"""

from __future__ import annotations

import contextvars
import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from opentelemetry import context, metrics, propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from apiclient._version import __version__
from apiclient.defaults import SAFE_QUERY_PARAMS
from apiclient.models import Request, Response
from apiclient.observers import TokenRequest
from apiclient.policies.urls import origin_of
from apiclient.redaction import redact_url

Propagation = Literal["origin", "all", "none"] | Callable[[str], bool]


@dataclass
class _CallSpan:
    """One call being traced: its span, the context it attached, its attempts."""

    span: Any
    token: Any
    origin: tuple[str, str, int | None]
    attributes: dict[str, Any]
    attempts: int = 0
    attempt: Any = None


_calls: contextvars.ContextVar[tuple[_CallSpan, ...]] = contextvars.ContextVar(
    "apiclient_otel_calls", default=()
)


class OpenTelemetryObserver:
    """An observer that traces calls and attempts and records their metrics.

    Args:
        tracer_provider, meter_provider: where spans and metrics go (None: the global ones).
        propagate: where ``traceparent`` is sent: ``"origin"`` (the call's own origin, the
            default), ``"all"``, ``"none"``, or a function of the request's URL.
    """

    def __init__(
        self,
        tracer_provider: Any = None,
        meter_provider: Any = None,
        *,
        propagate: Propagation = "origin",
    ) -> None:
        self._tracer = trace.get_tracer("apiclient", __version__, tracer_provider=tracer_provider)
        meter = metrics.get_meter("apiclient", __version__, meter_provider=meter_provider)
        self._duration = meter.create_histogram(
            "http.client.request.duration", unit="s", description="Duration of HTTP requests."
        )
        self._retries = meter.create_counter(
            "apiclient.client.retries", unit="{retry}", description="Retries scheduled."
        )
        self._pauses = meter.create_counter(
            "apiclient.client.pauses", unit="{pause}", description="Pauses the server asked for."
        )
        self._waits = meter.create_counter(
            "apiclient.client.wait.duration", unit="s", description="Seconds calls waited."
        )
        self._propagate = propagate
        self._safe_params = SAFE_QUERY_PARAMS

    def for_client(self, safe_params: frozenset[str]) -> OpenTelemetryObserver:
        """This observer, redacting URLs by a client's allowlist (the client calls it)."""
        bound = copy.copy(self)
        bound._safe_params = safe_params
        return bound

    # -- calls --------------------------------------------------------------------------

    def call_started(self, request: Request) -> None:
        """Open the call's span and make it current."""
        attributes = self._attributes(request)
        kind = "oauth.token" if isinstance(request, TokenRequest) else "request"
        span = self._tracer.start_span(
            request.method,
            kind=SpanKind.INTERNAL,
            attributes={**attributes, "url.full": self._url(request), "apiclient.call.kind": kind},
        )
        token = context.attach(trace.set_span_in_context(span))
        state = _CallSpan(span, token, origin_of(request.url), attributes)
        _calls.set((*_calls.get(), state))

    def call_ended(
        self,
        request: Request,
        response: Response | None,
        error: BaseException | None,
        duration: float,
    ) -> None:
        """Close the call's span with its outcome."""
        calls = _calls.get()
        if not calls:
            return
        state = calls[-1]
        _calls.set(calls[:-1])
        _outcome(state.span, response, error)
        state.span.end()
        context.detach(state.token)

    # -- attempts -----------------------------------------------------------------------

    def attempt_started(self, request: Request) -> None:
        """Open the attempt's span, a child of the call's, and send its context on."""
        state = self._current()
        if state is None:
            return
        state.attempts += 1
        attributes: dict[str, Any] = {**self._attributes(request), "url.full": self._url(request)}
        if state.attempts > 1:
            attributes["http.request.resend_count"] = state.attempts - 1
        span = self._tracer.start_span(request.method, kind=SpanKind.CLIENT, attributes=attributes)
        state.attempt = span
        if self._propagates(request, state):
            carrier: dict[str, str] = {}
            propagate.inject(carrier, context=trace.set_span_in_context(span))
            for name, value in carrier.items():
                request.headers[name] = value

    def attempt_ended(
        self,
        request: Request,
        response: Response | None,
        error: BaseException | None,
        duration: float,
    ) -> None:
        """Close the attempt's span; record its duration."""
        state = self._current()
        if state is None or state.attempt is None:
            return
        span, state.attempt = state.attempt, None
        labels = dict(self._attributes(request))
        if response is not None:
            labels["http.response.status_code"] = response.status
        error_type = _outcome(span, response, error)
        if error_type is not None:
            labels["error.type"] = error_type
        span.end()
        self._duration.record(duration, labels)

    # -- retries and waits --------------------------------------------------------------

    def retry_scheduled(self, delay: float, cause: object) -> None:
        """An event on the call's span; the retries counter."""
        state = self._current()
        if state is None:
            return
        state.span.add_event(
            "apiclient.retry",
            {"apiclient.retry.delay": delay, "apiclient.retry.cause": str(cause),
             "http.request.resend_count": state.attempts},
        )  # fmt: skip
        self._retries.add(1, state.attributes)

    def waited(self, kind: str, seconds: float) -> None:
        """An event on the call's span; the wait and pause counters."""
        state = self._current()
        if state is None:
            return
        state.span.add_event(
            "apiclient.wait", {"apiclient.wait.kind": kind, "apiclient.wait.seconds": seconds}
        )
        self._waits.add(seconds, {**state.attributes, "apiclient.wait.kind": kind})
        if kind == "server":
            self._pauses.add(1, state.attributes)

    # -- helpers ------------------------------------------------------------------------

    @staticmethod
    def _current() -> _CallSpan | None:
        calls = _calls.get()
        return calls[-1] if calls else None

    def _url(self, request: Request) -> str:
        return redact_url(request.url, self._safe_params)

    @staticmethod
    def _attributes(request: Request) -> dict[str, Any]:
        _, host, port = origin_of(request.url)
        return {"http.request.method": request.method, "server.address": host, "server.port": port}

    def _propagates(self, request: Request, state: _CallSpan) -> bool:
        rule = self._propagate
        if callable(rule):
            return bool(rule(request.url))
        if rule == "all":
            return True
        return rule == "origin" and origin_of(request.url) == state.origin

    def __repr__(self) -> str:
        return f"OpenTelemetryObserver(propagate={self._propagate!r})"


def _outcome(span: Any, response: Response | None, error: BaseException | None) -> str | None:
    """Mark ``span`` with the outcome; return its ``error.type`` (None for a success)."""
    if error is not None:
        error_type = type(error).__qualname__
        span.set_attribute("error.type", error_type)
        span.set_status(Status(StatusCode.ERROR, error_type))
        return error_type
    if response is None:
        return None
    span.set_attribute("http.response.status_code", response.status)
    if response.status >= 400:
        span.set_attribute("error.type", str(response.status))
        span.set_status(Status(StatusCode.ERROR))
        return str(response.status)
    return None


__all__ = ["OpenTelemetryObserver"]
