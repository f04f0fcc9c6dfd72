"""Redaction by allowlist: what may be shown of a URL or headers in logs, errors and reprs.

Only query parameters and headers known to be harmless keep their values; everything else
prints as ``[redacted]``. A custom credential header or an API key in the query string is
therefore hidden without anyone having to list it.

What the *server* sends back is scrubbed instead: the client knows its own secrets (its auth
object's ``secrets()``), and every spelling of them is replaced in error bodies and snippets,
so a server that echoes ``invalid token <tok>`` cannot put the token into an exception.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from apiclient.defaults import REDACTED, SAFE_HEADERS, SAFE_QUERY_PARAMS
from apiclient.models import Headers, Request


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


def redacted_request(request: Request, safe_params: frozenset[str] = SAFE_QUERY_PARAMS) -> Request:
    """A copy of ``request`` fit to keep in an error or a log: no body, credentials hidden."""
    headers = Headers(redact_headers(request.headers))
    return Request(request.method, redact_url(request.url, safe_params), headers, None)


def redact_headers(
    headers: Mapping[str, str], safe_headers: frozenset[str] = SAFE_HEADERS
) -> dict[str, str]:
    """Return a plain dict of ``headers`` with every value not on the allowlist hidden."""
    return {
        name: value if name.lower() in safe_headers else REDACTED for name, value in headers.items()
    }


#: A secret shorter than this is not scrubbed from text: it would mangle the text.
_SHORTEST_SECRET = 4


def secret_spellings(secrets: Iterable[str]) -> tuple[str, ...]:
    """Every spelling of ``secrets`` a server may echo: as is, URL- and JSON-escaped.

    Longest first, so that a secret inside another is not scrubbed half.
    """
    from urllib.parse import quote, quote_plus

    found: set[str] = set()
    for secret in secrets:
        if len(secret) >= _SHORTEST_SECRET:
            found.update((secret, quote(secret, safe=""), quote_plus(secret)))
            found.add(json.dumps(secret)[1:-1])
    return tuple(sorted(found, key=len, reverse=True))


def scrub(text: str, spellings: tuple[str, ...]) -> str:
    """``text`` with every spelling of a secret replaced by ``[redacted]``."""
    for spelling in spellings:
        if spelling in text:
            text = text.replace(spelling, REDACTED)
    return text


def scrub_bytes(data: bytes, spellings: tuple[str, ...]) -> bytes:
    """``scrub`` for a body: the secrets' UTF-8 bytes replaced."""
    for spelling in spellings:
        raw = spelling.encode()
        if raw in data:
            data = data.replace(raw, REDACTED.encode())
    return data


def scrub_value(value: Any, spellings: tuple[str, ...]) -> Any:
    """A decoded body (JSON value, text or bytes) with the secrets scrubbed, walked deeply."""
    if isinstance(value, str):
        return scrub(value, spellings)
    if isinstance(value, bytes):
        return scrub_bytes(value, spellings)
    if isinstance(value, list):
        return [scrub_value(item, spellings) for item in value]
    if isinstance(value, dict):
        return {scrub_value(k, spellings): scrub_value(v, spellings) for k, v in value.items()}
    return value
