"""Turning a response body into a Python value, by its content type.

- JSON (``application/json`` or any ``+json`` type) gives the parsed value;
- ``text/*`` (or any type with a ``charset``) gives ``str``;
- anything else gives the raw ``bytes``;
- an empty body, a 204 or a 304 gives ``None``.
Malformed JSON (including nesting deep enough to exhaust the parser) raises ``DecodeError``.
So do ``NaN``, ``Infinity`` and ``-Infinity``, which Python's ``json`` accepts and the JSON
standard (RFC 8259) does not, unless the caller allows them (``allow_nan=True``; a client
sets ``ALLOW_JSON_NAN = True``).
"""

from __future__ import annotations

import json
from typing import Any

from apiclient.defaults import ERROR_SNIPPET_CHARS
from apiclient.errors import DecodeError
from apiclient.models import Response, is_text_codec


def is_json_type(content_type: str) -> bool:
    """Whether a bare media type (no parameters, lower-case) is JSON."""
    return content_type == "application/json" or content_type.endswith("+json")


def decode_body(response: Response, encoding: str = "utf-8", *, allow_nan: bool = False) -> Any:
    """Decode ``response.data`` by content type; ``encoding`` applies when no charset is sent."""
    data = response.data
    if not data or response.status in (204, 304):
        return None
    if response.headers.get("content-type") in _PLAIN_JSON:  # the common case, parsed once
        return _parse_json(response, data, allow_nan)
    content_type = response.content_type
    if is_json_type(content_type):
        return decode_json(response, encoding, allow_nan=allow_nan)
    charset = response.charset
    if content_type.startswith("text/") or charset:
        return data.decode(_codec(response, charset or encoding), errors="replace")
    return data


def _codec(response: Response, charset: str) -> str:
    """``charset``, if Python can decode text with it; else the body cannot be read."""
    if is_text_codec(charset):
        return charset
    raise DecodeError(
        f"unknown charset {charset[:40]!r} in a {response.status} response",
        status=response.status,
    )


#: ``Content-Type`` values that mean UTF-8 JSON, spelled as servers send them.
_PLAIN_JSON = frozenset(
    {
        "application/json",
        "application/json; charset=utf-8",
        "application/json;charset=utf-8",
        "application/json; charset=UTF-8",
        "application/json;charset=UTF-8",
    }
)


def decode_json(response: Response, encoding: str = "utf-8", *, allow_nan: bool = False) -> Any:
    """Parse the body as JSON, raising ``DecodeError`` with a short snippet when it is not."""
    charset = response.charset or encoding
    if charset.lower().replace("-", "") in ("utf8", "ascii", "usascii"):
        return _parse_json(response, response.data, allow_nan)
    try:
        text = response.data.decode(_codec(response, charset))
    except ValueError:
        raise _invalid_json(response) from None
    return _parse_json(response, text, allow_nan)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


#: Python's decoder, minus the constants RFC 8259 does not have.
_STRICT = json.JSONDecoder(parse_constant=_refuse_constant)
_LENIENT = json.JSONDecoder()


def parse_json_bytes(data: bytes | str, allow_nan: bool = False) -> Any:
    """Parse JSON text or bytes (UTF-8, or a BOM / UTF-16/32 as ``json.loads`` sniffs it).

    Raises ``ValueError`` (``RecursionError`` for nesting too deep to parse).
    """
    decoder = _LENIENT if allow_nan else _STRICT
    if type(data) is bytes:
        try:  # UTF-8, as RFC 8259 requires: spares the encoding sniffing
            text = data.decode()
        except ValueError:  # a BOM or BOM-less UTF-16/32: sniffed as json.loads does
            text = data.decode(json.detect_encoding(data), "surrogatepass")
        return decoder.decode(text.removeprefix("\ufeff"))
    return decoder.decode(data)  # type: ignore[arg-type]


def _parse_json(response: Response, data: bytes | str, allow_nan: bool = False) -> Any:
    try:
        return parse_json_bytes(data, allow_nan)
    except (ValueError, RecursionError) as exc:
        raise _invalid_json(response) from (exc if isinstance(exc, ValueError) else None)


def _invalid_json(response: Response) -> DecodeError:
    snippet = response.data[:ERROR_SNIPPET_CHARS].decode("utf-8", errors="replace")
    return DecodeError(
        f"invalid JSON in a {response.status} response", status=response.status, snippet=snippet
    )
