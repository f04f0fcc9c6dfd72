"""Reading a server's "wait" signals from a response. Pure functions, no state.

Understood, in order of precedence:
- ``Retry-After`` (delay-seconds or HTTP date) on a 429, a 503, or a 403 (GitHub's
  secondary limits send it on a 403);
- GitHub-style ``X-RateLimit-Remaining: 0`` with ``X-RateLimit-Reset`` (epoch seconds);
- a GitHub secondary-limit 403 without ``Retry-After``: at least 60 s, as GitHub documents;
- the IETF draft's ``RateLimit: "name";r=0;t=30`` (``t`` in seconds), and the older
  ``RateLimit-Remaining: 0`` with ``RateLimit-Reset`` (seconds).
Dates and epoch resets are measured against the response's ``Date`` header when present,
so a skewed local clock does not stretch or shrink the wait. Malformed fields are ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from apiclient.models import Response

#: GitHub asks to wait at least this long after a secondary-limit 403 without Retry-After.
SECONDARY_LIMIT_WAIT = 60.0


def wall_clock_now() -> float:
    """Seconds since the epoch (UTC), the default wall clock for HTTP dates."""
    return datetime.now(UTC).timestamp()


def http_date_seconds(value: str) -> float | None:
    """Parse an HTTP date into epoch seconds (None if malformed)."""
    from email.utils import parsedate_to_datetime  # heavy (imports socket): on first date

    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def retry_after_seconds(
    headers: Mapping[str, str], wall_clock: Callable[[], float] = wall_clock_now
) -> float | None:
    """Parse ``Retry-After`` into seconds from now (None when absent or malformed)."""
    value = headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    retry_at = http_date_seconds(value)
    if retry_at is None:
        return None
    return max(0.0, retry_at - _server_now(headers, wall_clock))


def server_pause(
    response: Response, wall_clock: Callable[[], float] = wall_clock_now
) -> float | None:
    """Seconds the server asks every caller to wait before the next request, or None."""
    status, headers = response.status, response.headers
    if status in (403, 429, 503):
        asked = retry_after_seconds(headers, wall_clock)
        if asked is not None:
            return asked
    remaining = headers.get("x-ratelimit-remaining")
    if remaining is not None and remaining.strip() == "0":
        reset = _number(headers.get("x-ratelimit-reset"))
        if reset is not None:
            return max(0.0, reset - _server_now(headers, wall_clock))
    if status == 403 and b"secondary rate limit" in response.data[:2048].lower():
        return SECONDARY_LIMIT_WAIT
    field = headers.get("ratelimit")  # the IETF draft's field, then its older pair
    if field:
        return _ietf_field_pause(field)
    remaining = headers.get("ratelimit-remaining")
    if remaining is not None and remaining.strip() == "0":
        return _number(headers.get("ratelimit-reset"))
    return None


def is_rate_limited(response: Response) -> bool:
    """Whether a response is a rate limit: a 429, or a 403 carrying a wait signal."""
    if response.status == 429:
        return True
    return response.status == 403 and server_pause(response) is not None


def _server_now(headers: Mapping[str, str], wall_clock: Callable[[], float]) -> float:
    date = headers.get("date")
    now = http_date_seconds(date) if date else None
    return now if now is not None else wall_clock()


def _ietf_field_pause(field: str) -> float | None:
    """The wait in ``RateLimit: "name";r=0;t=30`` (the first policy with nothing left)."""
    for item in field.split(","):
        params = dict(_param(p) for p in item.split(";")[1:])
        if _number(params.get("r")) == 0:
            return _number(params.get("t")) or 0.0
    return None


def _param(text: str) -> tuple[str, str]:
    name, _, value = text.strip().partition("=")
    return name.strip().lower(), value.strip().strip('"')


def _number(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if value >= 0 else None
