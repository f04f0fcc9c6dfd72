"""Turning a response body into a Python value, by its content type.

- JSON (``application/json`` or any ``+json`` type) gives the parsed value;
- ``text/*`` (or any type with a ``charset``) gives ``str``;
- anything else gives the raw ``bytes``;
- an empty body, a 204 or a 304 gives ``None``.
Malformed JSON (including nesting deep enough to exhaust the parser) raises ``DecodeError``.
"""

from __future__ import annotations

import json
from typing import Any

from apiclient.defaults import ERROR_SNIPPET_CHARS
from apiclient.errors import DecodeError
from apiclient.models import Response


def is_json_type(content_type: str) -> bool:
    """Whether a bare media type (no parameters, lower-case) is JSON."""
    return content_type == "application/json" or content_type.endswith("+json")


def decode_body(response: Response, encoding: str = "utf-8") -> Any:
    """Decode ``response.data`` by content type; ``encoding`` applies when no charset is sent."""
    data = response.data
    if not data or response.status in (204, 304):
        return None
    content_type = response.content_type
    if is_json_type(content_type):
        return decode_json(response, encoding)
    charset = response.charset
    if content_type.startswith("text/") or charset:
        return data.decode(charset or encoding, errors="replace")
    return data


def decode_json(response: Response, encoding: str = "utf-8") -> Any:
    """Parse the body as JSON, raising ``DecodeError`` with a short snippet when it is not."""
    charset = response.charset or encoding
    try:
        if charset.lower().replace("-", "") in ("utf8", "ascii", "usascii"):
            return json.loads(response.data)
        return json.loads(response.data.decode(charset))
    except (ValueError, RecursionError, LookupError) as exc:
        snippet = response.data[:ERROR_SNIPPET_CHARS].decode("utf-8", errors="replace")
        raise DecodeError(
            f"invalid JSON in a {response.status} response",
            status=response.status,
            snippet=snippet,
        ) from (exc if isinstance(exc, ValueError) else None)
