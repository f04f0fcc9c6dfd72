"""Composing request URLs under ``BASE_URL``, and encoding query parameters.

``BASE_URL`` is treated as a directory: ``https://h/v1`` and ``https://h/v1/`` with
``"users"`` or ``"/users"`` both give ``https://h/v1/users``. A path may not climb out of
the base (``..``), and an absolute URL is accepted only if it lies under the base already.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import quote, quote_plus, unquote, urlencode, urlsplit

from apiclient.policies.validation import check_no_controls, check_url_text

Params = Mapping[str, Any] | Iterable[tuple[str, Any]]

# Characters left as they are in a path: RFC 3986 pchar plus "/" and an existing "%XX".
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"


def origin_of(url: str) -> tuple[str, str, int | None]:
    """The (scheme, host, port) triple that credentials are bound to, default ports filled."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or {"http": 80, "https": 443}.get(scheme)
    return scheme, (parts.hostname or "").lower(), port


@dataclass(frozen=True, slots=True)
class BaseURL:
    """A parsed ``BASE_URL``: parsed and checked once per client, reused on every call."""

    prefix: str  # always ends with "/"
    origin: tuple[str, str, int | None]

    @classmethod
    def parse(cls, url: str) -> BaseURL:
        """Check ``url`` (http or https, a host, no query or fragment) and parse it."""
        check_url_text(url)
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise ValueError(f"BASE_URL must be an http(s) URL with a host, not {url!r}")
        if parts.query or parts.fragment:
            raise ValueError("BASE_URL must not have a query string or a fragment")
        prefix = url if url.endswith("/") else url + "/"
        return cls(prefix=prefix, origin=origin_of(url))

    def join(self, path: str) -> str:
        """Return the absolute URL for ``path`` (relative to the base, or absolute under it).

        Cached per (base, path): an API client builds the same few URLs over and over.
        """
        return _joined(self.prefix, path)


@lru_cache(maxsize=1024)
def _joined(prefix: str, path: str) -> str:
    """``BaseURL.join``, checked and encoded (invalid paths raise and are not cached)."""
    check_no_controls(path)
    if "://" in path:
        if not path.startswith(prefix) and path + "/" != prefix:
            raise ValueError("an absolute URL must lie under BASE_URL")
        return path
    path, question, query = path.partition("?")
    path = path.lstrip("/")
    if any(unquote(segment) in (".", "..") for segment in path.split("/")):
        raise ValueError("a path may not contain '.' or '..' segments")
    url = prefix + quote(path, safe=_PATH_SAFE)
    return url + question + query if query else url


def encode_params(params: Params) -> str:
    """Encode parameters as a query string.

    ``None`` values are dropped, booleans become ``true``/``false``, a list or tuple value
    repeats its key, and everything else is ``str()``-ed and UTF-8 percent-encoded.
    """
    items = params.items() if isinstance(params, Mapping) else params
    pairs: list[tuple[str, str]] = []
    for key, value in items:
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            pairs.extend((key, _param_text(v)) for v in value if v is not None)
        else:
            pairs.append((key, _param_text(value)))
    return urlencode(pairs, quote_via=quote_plus)


def _param_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def add_query(url: str, query: str) -> str:
    """Append an encoded ``query`` to ``url``, which may already have one."""
    if not query:
        return url
    return f"{url}{'&' if '?' in url else '?'}{query}"


def set_query_param(url: str, name: str, value: Any) -> str:
    """``url`` with every ``name=`` pair removed and ``name=value`` appended.

    For credentials in the query: a next-page link that already carries one (Facebook's
    do) must not end up with two, or with a stale one.
    """
    pair = encode_params(((name, value),))
    base, mark, query = url.partition("?")
    if not mark:
        return f"{url}?{pair}"
    fragment_mark = query.find("#")
    if fragment_mark >= 0:
        query = query[:fragment_mark]
    prefix = pair.split("=", 1)[0] + "="
    kept = [part for part in query.split("&") if part and not part.startswith(prefix)]
    return f"{base}?{'&'.join([*kept, pair])}"


def path_segment(value: Any) -> str:
    """Encode ``value`` as exactly one path segment (for ids in paths: ``/users/{id}``).

    Slashes, ``?`` and ``#`` are percent-encoded, and ``.``, ``..`` and empty are refused, so an
    id like ``../admin`` cannot escape the path it is placed in.
    """
    text = str(value)
    if text in ("", ".", ".."):
        raise ValueError(f"{text!r} is not a valid path segment")
    return quote(text, safe="")
