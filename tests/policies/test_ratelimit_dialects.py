"""Every rate-limit dialect, as a table: response headers in, pause and quota out."""

from __future__ import annotations

import logging
from email.utils import formatdate
from typing import Any, NamedTuple

import pytest
from hypothesis import given
from hypothesis import strategies as st

from apiclient import Response, read_quota
from apiclient.policies import ratelimit_headers
from apiclient.policies.ratelimit_headers import Dialect, Quota

NOW = 1445412480  # Wed, 21 Oct 2015 07:28:00 GMT
DATE = formatdate(NOW, usegmt=True)


class Row(NamedTuple):
    name: str
    status: int
    headers: dict[str, str]
    expected: Quota
    body: bytes = b""
    dialect: Dialect = "auto"


ROWS = [
    Row("Retry-After seconds", 429, {"Retry-After": "5"}, Quota(pause=5.0)),
    Row("Retry-After on a 503", 503, {"Retry-After": "5"}, Quota(pause=5.0)),
    Row(
        "Retry-After as an HTTP date, against Date",
        429,
        {"Retry-After": formatdate(NOW + 30, usegmt=True), "Date": DATE},
        Quota(pause=30.0),
    ),
    Row("retry-after-ms", 429, {"retry-after-ms": "1500"}, Quota(pause=1.5)),
    Row(
        "GitHub: the quota left, reset as epoch seconds",
        200,
        {
            "X-RateLimit-Limit": "60",
            "X-RateLimit-Remaining": "12",
            "X-RateLimit-Used": "48",
            "X-RateLimit-Reset": str(NOW + 30),
            "X-RateLimit-Resource": "core",
            "Date": DATE,
        },
        Quota(remaining=12, reset=30.0, limit=60, resource="core"),
    ),
    Row(
        "GitHub: exhausted, a pause until the reset",
        403,
        {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(NOW + 30), "Date": DATE},
        Quota(pause=30.0, remaining=0, reset=30.0),
    ),
    Row(
        "X-RateLimit-Reset as seconds to wait",
        429,
        {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "42", "Date": DATE},
        Quota(pause=42.0, remaining=0, reset=42.0),
    ),
    Row(
        "X-RateLimit-Reset as epoch milliseconds",
        200,
        {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": f"{(NOW + 30) * 1000}", "Date": DATE},
        Quota(pause=30.0, remaining=0, reset=30.0),
    ),
    Row(
        "GitLab: RateLimit-Reset is a unix time",
        429,
        {
            "RateLimit-Limit": "600",
            "RateLimit-Remaining": "0",
            "RateLimit-Observed": "600",
            "RateLimit-Reset": str(NOW + 5),
            "RateLimit-ResetTime": formatdate(NOW + 5, usegmt=True),
            "Date": DATE,
        },
        Quota(pause=5.0, remaining=0, reset=5.0, limit=600),
    ),
    Row(
        "GitLab: some left",
        200,
        {
            "RateLimit-Limit": "600",
            "RateLimit-Remaining": "599",
            "RateLimit-Reset": str(NOW + 60),
            "Date": DATE,
        },
        Quota(remaining=599, reset=60.0, limit=600),
    ),
    Row(
        "IETF draft: RateLimit and RateLimit-Policy",
        200,
        {"RateLimit": '"default";r=50;t=30', "RateLimit-Policy": '"default";q=100;w=60'},
        Quota(remaining=50, reset=30.0, limit=100, resource="default", window=60.0),
    ),
    Row(
        "IETF draft: exhausted",
        429,
        {"RateLimit": '"default";r=0;t=30', "RateLimit-Policy": '"default";q=100;w=60'},
        Quota(pause=30.0, remaining=0, reset=30.0, limit=100, resource="default", window=60.0),
    ),
    Row(
        "IETF draft: of several policies, the one with least left",
        200,
        {
            "RateLimit": '"burst";r=5;t=1, "daily";r=2;t=3600',
            "RateLimit-Policy": '"burst";q=10;w=1, "daily";q=1000;w=86400',
        },
        Quota(remaining=2, reset=3600.0, limit=1000, resource="daily", window=86400.0),
    ),
    Row(
        "IETF draft's older fields: a delay",
        200,
        {"RateLimit-Limit": "10", "RateLimit-Remaining": "0", "RateLimit-Reset": "12"},
        Quota(pause=12.0, remaining=0, reset=12.0, limit=10),
    ),
    Row(
        "GitHub's secondary limit: a 403 without Retry-After waits a minute",
        403,
        {},
        Quota(pause=60.0),
        b'{"message": "You have exceeded a secondary rate limit."}',
    ),
    Row(
        "GitHub's secondary limit with Retry-After",
        403,
        {"Retry-After": "10"},
        Quota(pause=10.0),
        b'{"message": "You have exceeded a secondary rate limit."}',
    ),
    Row(
        "OpenAI's per-request quota and its durations",
        429,
        {"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "6m0s"},
        Quota(pause=360.0, remaining=0, reset=360.0),
    ),
    Row(
        "Discord's reset-after",
        429,
        {
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset-After": "1.5",
            "X-RateLimit-Bucket": "ab",
        },
        Quota(pause=1.5, remaining=0, reset=1.5, resource="ab"),
    ),
    Row(
        "Retry-After wins over the reset",
        429,
        {
            "Retry-After": "2",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": str(NOW + 30),
            "Date": DATE,
        },
        Quota(pause=2.0, remaining=0, reset=30.0),
    ),
    Row("Retry-After on a 500 is not a rate limit", 500, {"Retry-After": "5"}, Quota()),
    Row(
        "declared IETF: the vendor headers are not read",
        200,
        {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "42"},
        Quota(),
        dialect="ietf",
    ),
    Row(
        "declared retry-after: only Retry-After",
        429,
        {"Retry-After": "3", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "42"},
        Quota(pause=3.0),
        dialect="retry-after",
    ),
    Row("declared none: nothing", 429, {"Retry-After": "3"}, Quota(), dialect="none"),
    Row(
        "declared GitHub: a small reset is not a delay but a time long past",
        200,
        {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "42", "Date": DATE},
        Quota(remaining=0),
        dialect="github",
    ),
    Row(
        "declared GitLab",
        200,
        {"RateLimit-Remaining": "3", "RateLimit-Reset": str(NOW + 9), "Date": DATE},
        Quota(remaining=3, reset=9.0),
        dialect="gitlab",
    ),
]


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_dialect(row: Row) -> None:
    response = Response(row.status, row.headers, row.body)
    assert read_quota(response, row.dialect, wall_clock=lambda: NOW) == row.expected


ABSURD = [
    ("a negative Retry-After", 429, {"Retry-After": "-5"}),
    ("a NaN Retry-After", 429, {"Retry-After": "nan"}),
    ("a Retry-After of years", 429, {"Retry-After": str(10 * 366 * 86400)}),
    (
        "a reset years ahead",
        200,
        {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(NOW + 10 * 366 * 86400)},
    ),
    ("a reset of infinity", 200, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "inf"}),
    ("a negative remaining", 200, {"X-RateLimit-Remaining": "-1", "X-RateLimit-Reset": "10"}),
    ("an IETF t that is not a number", 200, {"RateLimit": '"d";r=0;t=soon'}),
]


@pytest.mark.parametrize(("name", "status", "headers"), ABSURD, ids=[a[0] for a in ABSURD])
def test_an_absurd_value_is_ignored_and_said_once_at_warning(
    name: str, status: int, headers: dict[str, str], caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr(ratelimit_headers, "_warned", set())
    response = Response(status, {**headers, "Date": DATE})
    with caplog.at_level(logging.WARNING, logger="apiclient"):
        first = read_quota(response, wall_clock=lambda: NOW)
        read_quota(response, wall_clock=lambda: NOW)
    assert first.pause is None
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "not a sensible rate-limit value" in warnings[0].getMessage()


def test_pacing_spreads_what_is_left_over_the_time_left() -> None:
    assert Quota(remaining=5, reset=10.0).pacing == 2.0
    assert Quota(remaining=0, reset=10.0, pause=10.0).pacing is None
    assert Quota().pacing is None


# The reset heuristic, for any Date and any way of writing a reset.
dates = st.integers(min_value=978307200, max_value=4102444800)  # 2001 to 2100
delays = st.integers(min_value=0, max_value=365 * 86400)
spellings = st.sampled_from(["epoch", "epoch-ms", "delta"])


def written(now: float, delay: float, spelling: str) -> str:
    if spelling == "epoch":
        return str(int(now + delay))
    if spelling == "epoch-ms":
        return str(int((now + delay) * 1000))
    return str(int(delay))


@given(dates, st.floats(min_value=0, max_value=0.999), delays, spellings)
def test_a_reset_however_written_is_the_intended_delay(
    date: int, fraction: float, delay: int, spelling: str
) -> None:
    server_now = date + fraction  # the Date header says only the whole second
    headers: dict[str, Any] = {
        "Date": formatdate(server_now, usegmt=True),
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": written(server_now, delay, spelling),
    }
    quota = read_quota(Response(429, headers), wall_clock=lambda: 0.0)
    assert quota.pause is not None and abs(quota.pause - delay) <= 1.0
