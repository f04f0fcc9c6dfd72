"""Reading an API's error body: its own error code and its message. Pure functions.

The shapes real APIs use, tried in order (the first that gives a string wins):

- ``{"code": "object_not_found", "message": "..."}`` (Notion, many others);
- ``{"error": {"code": "...", "type": "...", "message": "..."}}`` (Stripe, Google, OpenAI);
- ``{"errors": [{"code" | "type" | "extensions": {"code"}: ..., "message": ...}]}``
  (GitHub's GraphQL, JSON:API's ``title`` / ``detail``);
- ``{"error": "invalid_grant", "error_description": "..."}`` (OAuth 2);
- ``{"message": "..."}``, ``{"detail": "..."}`` (GitHub REST, FastAPI), a bare string.

A client whose API says it otherwise overrides ``error_code`` (and, for the message,
``_raise_for_status``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: Longest server message quoted in an error's text.
DETAIL_CHARS = 200

_CODE_KEYS = ("code", "type", "error_code", "errorCode", "reason", "status")
_MESSAGE_KEYS = ("message", "detail", "error_description", "title", "description", "msg")


def error_code(body: Any) -> str | None:
    """The API's error code in ``body``, or None."""
    if not isinstance(body, Mapping):
        return None
    for candidate in _candidates(body):
        for key in _CODE_KEYS:
            value = candidate.get(key)
            if isinstance(value, str) and value:
                return value
        extensions = candidate.get("extensions")
        if isinstance(extensions, Mapping) and isinstance(extensions.get("code"), str):
            return str(extensions["code"])
    error = body.get("error")
    return error if isinstance(error, str) and error else None


def error_message(body: Any) -> str | None:
    """The server's message in ``body``, with any validation details (``DETAIL_CHARS`` long).

    ``{"message": "Validation Failed", "errors": [{"field": "title", ...}]}`` gives
    ``Validation Failed: [{"field":"title",...}]``: what a 422 says is in the error's text.
    """
    text: str | None = None
    if isinstance(body, str):
        text = body
    elif isinstance(body, Mapping):
        error = body.get("error")
        head = _message_in([error, body] if isinstance(error, Mapping) else [body])
        details = body.get("errors") or body.get("detail")
        if not isinstance(details, list) or not details:
            details = None
        if head is None and details is not None and isinstance(details[0], Mapping):
            head, details = _message_in([details[0]]), details[1:] or None
        if head is None and isinstance(body.get("error"), str):
            head = body["error"]
        parts = [part for part in (head, _compact(details) if details else None) if part]
        text = ": ".join(parts) or None
    if not text:
        return None
    text = " ".join(text.split())
    return text if len(text) <= DETAIL_CHARS else text[: DETAIL_CHARS - 1] + "\u2026"


def _candidates(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The objects an error may be described in: the body, its ``error``, its first error."""
    found: list[Mapping[str, Any]] = [body]
    if isinstance(body.get("error"), Mapping):
        found.insert(0, body["error"])
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], Mapping):
        found.append(errors[0])
    return found


def _message_in(candidates: list[Any]) -> str | None:
    for candidate in candidates:
        for key in _MESSAGE_KEYS:
            value = candidate.get(key)
            if isinstance(value, str) and value:
                return value
    return None


def _compact(value: Any) -> str:
    import json

    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(value)
