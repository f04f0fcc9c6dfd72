"""Redaction by allowlist: what may be shown of a URL or headers in logs, errors and reprs.

Only query parameters and headers known to be harmless keep their values; everything else
prints as ``[redacted]``. A custom credential header or an API key in the query string is
therefore hidden without anyone having to list it.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit, urlunsplit

from apiclient.defaults import REDACTED, SAFE_HEADERS, SAFE_QUERY_PARAMS


def redact_url(url: str, safe_params: frozenset[str] = SAFE_QUERY_PARAMS) -> str:
    """Return ``url`` with user info and the values of unknown query parameters hidden."""
    if "?" not in url and "@" not in url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return REDACTED
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{REDACTED}@{netloc.rpartition('@')[2]}"
    query = "&".join(_redact_pair(pair, safe_params) for pair in parts.query.split("&") if pair)
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def _redact_pair(pair: str, safe_params: frozenset[str]) -> str:
    name, equals, _ = pair.partition("=")
    if not equals or name in safe_params:
        return pair
    return f"{name}={REDACTED}"


def redact_headers(
    headers: Mapping[str, str], safe_headers: frozenset[str] = SAFE_HEADERS
) -> dict[str, str]:
    """Return a plain dict of ``headers`` with every value not on the allowlist hidden."""
    return {
        name: value if name.lower() in safe_headers else REDACTED for name, value in headers.items()
    }
