"""Reading a server's rate-limit signals from a response. Pure functions, no state.

``read_quota(response)`` gives a ``Quota``: how long every caller must wait (``pause``),
and what is left of the current window (``remaining`` requests, ``reset`` seconds from
now, ``limit``, and the ``resource`` or policy it concerns). The dialects understood:

- ``Retry-After`` (delay-seconds or an HTTP date) on a 429, a 503 or a 403, and
  ``retry-after-ms`` (milliseconds);
- ``X-RateLimit-Limit`` / ``-Remaining`` / ``-Reset`` / ``-Used`` / ``-Resource`` (GitHub;
  Twitter's ``x-rate-limit-*`` too), ``X-RateLimit-Reset-After`` (Discord, seconds);
- ``RateLimit-Limit`` / ``-Remaining`` / ``-Reset`` / ``-Observed`` (GitLab, and the IETF
  draft's older revisions);
- the IETF draft's current fields: ``RateLimit: "default";r=50;t=30`` with
  ``RateLimit-Policy: "default";q=100;w=60`` (several policies: the one with least left);
- OpenAI's ``x-ratelimit-remaining-requests`` / ``x-ratelimit-reset-requests`` (``6m0s``);
- GitHub's secondary-limit 403 without ``Retry-After``: at least 60 s, as GitHub documents.

A reset may be epoch seconds, epoch milliseconds or seconds from now, and dialects do not
agree; unless the dialect is declared, the unit is decided by magnitude against the
response's ``Date`` (or the wall clock): a value that only makes sense as a time (between
a day before ``Date`` and a year after it, in seconds or in milliseconds) is that time,
anything else is a delay. Dates and epoch resets are measured against ``Date``, so a
skewed local clock does not stretch or shrink the wait.

A value that makes no sense (negative, not a number, years away) is ignored, and said once
at WARNING on the ``apiclient`` logger: one bad header must not freeze a client, nor, through
a shared limiter, a fleet.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from apiclient.models import Headers, Response

#: GitHub asks to wait at least this long after a secondary-limit 403 without Retry-After.
SECONDARY_LIMIT_WAIT = 60.0
#: The longest wait a server's header can sensibly ask for; beyond, the value is ignored.
LONGEST_SENSIBLE_WAIT = 366 * 86400.0
#: A reset this far in the past reads as "now"; further, the value is ignored.
PAST_TOLERANCE = 86400.0

Dialect = Literal["auto", "github", "gitlab", "ietf", "retry-after", "none"]
#: How each declared dialect writes its reset: as an epoch, or seconds from now.
_RESET_UNIT: dict[str, str] = {"github": "epoch", "gitlab": "epoch", "ietf": "delta"}

log = logging.getLogger("apiclient")
_warned: set[str] = set()


@dataclass(frozen=True, slots=True)
class Quota:
    """What a response says of a rate limit (every field None when it does not say)."""

    #: Seconds every caller must wait before the next request (the server's pause).
    pause: float | None = None
    #: Requests left in the current window, and seconds until it resets.
    remaining: int | None = None
    reset: float | None = None
    limit: int | None = None
    #: The limit it concerns: ``X-RateLimit-Resource`` (GitHub) or the IETF policy's name.
    resource: str | None = None
    #: The window's length in seconds, when the server says it (IETF ``w``).
    window: float | None = None

    @property
    def pacing(self) -> float | None:
        """Seconds between requests that spread what is left over the time left, or None."""
        if not self.remaining or self.reset is None or self.reset <= 0 or self.pause:
            return None
        return self.reset / self.remaining


NO_QUOTA = Quota()


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


def read_quota(
    response: Response,
    dialect: Dialect = "auto",
    wall_clock: Callable[[], float] = wall_clock_now,
) -> Quota:
    """Everything ``response`` says of a rate limit, in ``dialect`` (see the module)."""
    if dialect == "none":
        return NO_QUOTA
    headers = response.headers
    if response.status in (403, 429, 503):
        pause = _asked_pause(response, wall_clock)
    elif dialect == "auto" and not _has_any(headers, _WINDOW_NAMES):
        return NO_QUOTA  # (most responses: no signal at all, found in one set operation)
    else:
        pause = None
    if dialect == "retry-after":
        return Quota(pause=pause) if pause is not None else NO_QUOTA
    window = _window(headers, dialect, wall_clock)
    if pause is None and window.remaining == 0 and window.reset is not None:
        pause = window.reset
    if pause is None and response.status == 403 and _secondary_limit(response):
        pause = SECONDARY_LIMIT_WAIT
    if pause is None and window is NO_QUOTA:
        return NO_QUOTA
    resource = window.resource or _named_resource(headers)
    return Quota(pause, window.remaining, window.reset, window.limit, resource, window.window)


def server_pause(
    response: Response, wall_clock: Callable[[], float] = wall_clock_now
) -> float | None:
    """Seconds the server asks every caller to wait before the next request, or None."""
    return read_quota(response, "auto", wall_clock).pause


def retry_after_seconds(
    headers: Mapping[str, str], wall_clock: Callable[[], float] = wall_clock_now
) -> float | None:
    """``Retry-After`` (or ``retry-after-ms``) as seconds from now (None: absent, bad)."""
    millis = headers.get("retry-after-ms")
    if millis is not None:
        value = _number(millis, "retry-after-ms")
        if value is not None:
            return _sensible(value / 1000.0, "retry-after-ms")
    text = headers.get("retry-after")
    if text is None:
        return None
    text = text.strip()
    seconds = _number(text, "Retry-After", quiet=True)
    if seconds is not None:
        return _sensible(seconds, "Retry-After")
    retry_at = http_date_seconds(text)
    if retry_at is None:
        _warn_once("Retry-After", text)
        return None
    return _sensible(max(0.0, retry_at - _server_now(headers, wall_clock)), "Retry-After")


def is_rate_limited(response: Response) -> bool:
    """Whether a response is a rate limit: a 429, or a 403 carrying a wait signal."""
    if response.status == 429:
        return True
    return response.status == 403 and server_pause(response) is not None


def _asked_pause(response: Response, wall_clock: Callable[[], float]) -> float | None:
    return retry_after_seconds(response.headers, wall_clock)


#: The fields without which no dialect finds a window (``auto`` reads no other).
_WINDOW_NAMES = frozenset(("ratelimit", "x-ratelimit-remaining", "x-rate-limit-remaining",
                           "ratelimit-remaining", "x-ratelimit-remaining-requests"))  # fmt: skip


def _has_any(headers: Mapping[str, str], lowered_names: frozenset[str]) -> bool:
    if isinstance(headers, Headers):
        return headers.has_any(lowered_names)
    return any(name in headers for name in lowered_names)


def _named_resource(headers: Mapping[str, str]) -> str | None:
    """The limit a response names without giving its window (GitHub names it on a 429)."""
    name = headers.get("x-ratelimit-resource")
    return name.strip() if name else None


def _secondary_limit(response: Response) -> bool:
    return b"secondary rate limit" in response.data[:2048].lower()


def _window(headers: Mapping[str, str], dialect: str, wall_clock: Callable[[], float]) -> Quota:
    """The current window: from the IETF fields, else the per-vendor header families."""
    if dialect in ("auto", "ietf") and headers.get("ratelimit"):
        found = _ietf_window(headers)
        if found is not NO_QUOTA:
            return found
    unit = _RESET_UNIT.get(dialect, "auto")
    for prefix in _PREFIXES[dialect]:
        remaining = headers.get(f"{prefix}-remaining")
        if remaining is None:
            continue
        reset = _reset_delay(headers, prefix, unit, wall_clock)
        resource = headers.get(f"{prefix}-resource") or headers.get(f"{prefix}-bucket")
        return Quota(
            remaining=_count(remaining, f"{prefix}-remaining"),
            reset=reset,
            limit=_count(headers.get(f"{prefix}-limit"), f"{prefix}-limit"),
            resource=resource.strip() if resource else None,
        )
    if dialect == "auto":
        return _openai_window(headers)
    return NO_QUOTA


#: The header families, by dialect (the first whose ``-remaining`` is there is read).
_PREFIXES: dict[str, tuple[str, ...]] = {
    "auto": ("x-ratelimit", "x-rate-limit", "ratelimit"),
    "github": ("x-ratelimit",),
    "gitlab": ("ratelimit",),
    "ietf": ("ratelimit",),
}


def _reset_delay(
    headers: Mapping[str, str], prefix: str, unit: str, wall_clock: Callable[[], float]
) -> float | None:
    """Seconds until the window resets, however the family writes it."""
    after = headers.get(f"{prefix}-reset-after")  # (Discord: always seconds from now)
    if after is not None:
        delay = _number(after, f"{prefix}-reset-after")
        return None if delay is None else _sensible(delay, f"{prefix}-reset-after")
    text = headers.get(f"{prefix}-reset")
    if text is None:
        when = headers.get(f"{prefix}-resettime")  # (GitLab's HTTP date)
        at = http_date_seconds(when) if when else None
        return None if at is None else _sensible(at - _server_now(headers, wall_clock), prefix)
    return reset_seconds(text, _server_now(headers, wall_clock), unit, f"{prefix}-reset")


def reset_seconds(text: str, now: float, unit: str = "auto", name: str = "reset") -> float | None:
    """A reset as seconds from ``now`` (epoch seconds): from epoch s or ms, a delay, ``6m0s``.

    ``unit`` is ``"epoch"``, ``"delta"`` or ``"auto"``: a value that is a time near ``now``
    (a day ago to a year ahead) in seconds or milliseconds is that time, anything else a
    delay; ``"epoch"`` refuses delays.
    """
    value = _number(text, name, quiet=True)
    if value is None:
        duration = _duration(text)
        if duration is None:
            _warn_once(name, text)
        return None if duration is None else _sensible(duration, name)
    if unit == "delta":
        return _sensible(value, name)
    for epoch in (value, value / 1000.0):
        delay = epoch - now
        if -PAST_TOLERANCE <= delay <= LONGEST_SENSIBLE_WAIT:
            return max(0.0, delay)  # (in the past: a window that has just reset)
    if unit == "epoch":
        _warn_once(name, text)
        return None
    return _sensible(value, name)


_DURATION = re.compile(r"(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?"
                       r"(?:(\d+(?:\.\d+)?)ms)?\Z")  # fmt: skip


def _duration(text: str) -> float | None:
    """``1h2m3s``, ``6m0s``, ``250ms`` (OpenAI's resets) as seconds, else None."""
    found = _DURATION.match(text.strip())
    if found is None or not any(found.groups()):
        return None
    hours, minutes, seconds, millis = (float(part or 0) for part in found.groups())
    return hours * 3600 + minutes * 60 + seconds + millis / 1000


def _ietf_window(headers: Mapping[str, str]) -> Quota:
    """The policy with the least left in ``RateLimit`` (limits from ``RateLimit-Policy``)."""
    policies = dict(_sf_items(headers.get("ratelimit-policy")))
    best: Quota = NO_QUOTA
    for name, params in _sf_items(headers.get("ratelimit")):
        remaining = _count(params.get("r"), "RateLimit r")
        reset = _number(params.get("t") or "0", "RateLimit t")
        if remaining is None:
            continue
        policy = policies.get(name, {})
        window = _number(policy.get("w"), "RateLimit-Policy w")
        found = Quota(
            remaining=remaining,
            reset=None if reset is None else _sensible(reset, "RateLimit t"),
            limit=_count(policy.get("q"), "RateLimit-Policy q"),
            resource=name or None,
            window=None if window is None else _sensible(window, "RateLimit-Policy w"),
        )
        if best is NO_QUOTA or (found.remaining or 0) < (best.remaining or 0):
            best = found
    return best


def _openai_window(headers: Mapping[str, str]) -> Quota:
    remaining = headers.get("x-ratelimit-remaining-requests")
    if remaining is None:
        return NO_QUOTA
    reset = headers.get("x-ratelimit-reset-requests")
    return Quota(
        remaining=_count(remaining, "x-ratelimit-remaining-requests"),
        reset=None if reset is None else reset_seconds(reset, 0.0, "delta"),
        limit=_count(headers.get("x-ratelimit-limit-requests"), "x-ratelimit-limit-requests"),
    )


def _sf_items(field: str | None) -> list[tuple[str, dict[str, str]]]:
    """A structured-field list (``"name";a=1;b=2, other;a=3``) as (name, parameters)."""
    if not field:
        return []
    items = []
    for member in field.split(","):
        name, *params = member.split(";")
        parsed = dict(_param(param) for param in params if "=" in param)
        items.append((name.strip().strip('"'), parsed))
    return items


def _server_now(headers: Mapping[str, str], wall_clock: Callable[[], float]) -> float:
    date = headers.get("date")
    now = http_date_seconds(date) if date else None
    return now if now is not None else wall_clock()


def _param(text: str) -> tuple[str, str]:
    name, _, value = text.strip().partition("=")
    return name.strip().lower(), value.strip().strip('"')


def _number(text: str | None, name: str, quiet: bool = False) -> float | None:
    """``text`` as a number, or None (and a warning, unless ``quiet``) when it is not one."""
    if text is None:
        return None
    try:
        value = float(text.strip())
    except ValueError:
        if not quiet:
            _warn_once(name, text)
        return None
    if math.isnan(value) or math.isinf(value) or value < 0:
        _warn_once(name, text)
        return None
    return value


def _count(text: str | None, name: str) -> int | None:
    value = _number(text, name)
    return None if value is None else int(value)


def _sensible(seconds: float, name: str) -> float | None:
    """``seconds``, if a server could mean it; None (said once) otherwise."""
    if 0.0 <= seconds <= LONGEST_SENSIBLE_WAIT:
        return seconds
    _warn_once(name, f"{seconds:.0f} s")
    return None


def _warn_once(name: str, value: str) -> None:
    if name in _warned:
        return
    _warned.add(name)
    log.warning("ignoring %s=%r from the server: not a sensible rate-limit value", name, value[:40])
