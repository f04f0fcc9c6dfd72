"""What tracing a call costs: apiclient's observer beside the stock urllib3 instrumentation.

Usage: .venv/bin/python bench/otel.py [--calls N] [--rounds R]

GET + JSON against the keep-alive loopback server (another process), CPU time per call
of this process, contenders in turn within each round (an order that changes every
round); the table shows medians, and the median of the per-round ratios to raw urllib3.
Spans go through the OpenTelemetry SDK (a ``TracerProvider`` with a span processor whose
exporter drops them, and a ``MeterProvider``): what an application pays before its
exporter's own cost.

- raw urllib3 (``PoolManager`` + ``json.loads``), and the same with the stock
  ``opentelemetry-instrumentation-urllib3`` instrumenting it;
- ``APIClient`` with no observer, and with ``OpenTelemetryObserver`` (a span per call and
  one per attempt, metrics, ``traceparent``).
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import urllib3
from loopback_server import LoopbackServer
from opentelemetry.instrumentation.urllib3 import URLLib3Instrumentor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from rounds import rotated, round_ratios

from apiclient import APIClient
from apiclient.otel import OpenTelemetryObserver


class Dropping(SpanExporter):
    """An exporter that drops every span (what is measured is making them)."""

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def providers() -> tuple[TracerProvider, MeterProvider]:
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(Dropping()))
    return tracer_provider, MeterProvider()


def contenders(url: str) -> dict[str, tuple[Callable[[], Any], Callable[[], None]]]:
    """Each contender: a call, and what to do after its turn (undo an instrumentation)."""
    tracer_provider, meter_provider = providers()
    pool = urllib3.PoolManager()
    plain = APIClient(base_url=url)
    traced = APIClient(
        base_url=url, observers=[OpenTelemetryObserver(tracer_provider, meter_provider)]
    )
    instrumentor = URLLib3Instrumentor()

    def raw() -> Any:
        return json.loads(pool.request("GET", url + "item").data)

    def raw_instrumented() -> Any:
        if not instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider)
        return raw()

    def stop_instrumenting() -> None:
        if instrumentor.is_instrumented_by_opentelemetry:
            instrumentor.uninstrument()

    return {
        "raw urllib3": (raw, lambda: None),
        "raw urllib3 + stock instrumentation": (raw_instrumented, stop_instrumenting),
        "APIClient, no observer": (lambda: plain.get("/item"), lambda: None),
        "APIClient + OpenTelemetryObserver": (lambda: traced.get("/item"), lambda: None),
    }


def cpu(call: Callable[[], Any], calls: int) -> float:
    for _ in range(200):
        call()
    gc.collect()
    start = time.process_time()
    for _ in range(calls):
        call()
    return (time.process_time() - start) / calls


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    server = LoopbackServer()
    try:
        runners = contenders(server.url)
        times: dict[str, list[float]] = {name: [] for name in runners}
        for number in range(args.rounds):
            for name in rotated(list(runners), number):
                call, after = runners[name]
                times[name].append(cpu(call, args.calls))
                after()
    finally:
        server.stop()
    when = time.strftime("%Y-%m-%d %H:%M")
    print(f"GET + JSON, {args.rounds} rounds x {args.calls} calls, {when}")
    print(f"{'contender':<38} {'us CPU/call':>12} {'x raw':>7} {'range':>12}")
    for name, values in times.items():
        ratios = round_ratios(values, times["raw urllib3"])
        spread = f"{min(ratios):5.2f}-{max(ratios):.2f}"
        median = statistics.median(values) * 1e6
        print(f"{name:<38} {median:12.1f} {statistics.median(ratios):6.2f}x {spread}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
