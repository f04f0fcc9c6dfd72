"""Refuse what could smuggle a second request or header onto the wire (CR, LF, NUL...)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
_FORBIDDEN_IN_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_METHOD = re.compile(r"[A-Z]+\Z")


_COMMON_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})


def check_method(method: str) -> str:
    """Return ``method`` upper-cased, or raise ``ValueError`` if it is not a plain token."""
    if method in _COMMON_METHODS:
        return method
    upper = method.upper()
    if not _METHOD.match(upper):
        raise ValueError(f"invalid HTTP method {method!r}")
    return upper


def check_header(name: str, value: str) -> None:
    """Raise ``ValueError`` for a header name that is not a token or a value with controls."""
    if not isinstance(name, str) or not _TOKEN.match(name):
        raise ValueError(f"invalid header name {name!r}")
    if not isinstance(value, str):
        raise TypeError(f"header {name!r} must be a str, not {type(value).__name__}")
    if _FORBIDDEN_IN_VALUE.search(value):
        # The value may be a credential: name the header, never echo the value.
        raise ValueError(f"header {name!r} contains a control character (CR, LF, NUL...)")


def check_headers(headers: Iterable[tuple[str, str]]) -> None:
    """Check every (name, value) pair."""
    for name, value in headers:
        check_header(name, value)


def check_no_controls(text: str) -> None:
    """Raise ``ValueError`` if a path or URL contains a control character (CR, LF, NUL...)."""
    if _FORBIDDEN_IN_VALUE.search(text) or "\t" in text:
        raise ValueError("URL contains a control character")


@lru_cache(maxsize=1024)
def check_url_text(url: str) -> None:
    """Raise ``ValueError`` if a finished URL contains whitespace or control characters.

    Cached: the same URLs come back on every call (a URL that fails is never cached).
    """
    check_no_controls(url)
    if " " in url:
        raise ValueError("URL contains a space")
