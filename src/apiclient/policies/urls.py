"""Composing request URLs under ``BASE_URL``, encoding query parameters, checking URLs.

``BASE_URL`` is treated as a directory: ``https://h/v1`` and ``https://h/v1/`` with
``"users"`` or ``"/users"`` both give ``https://h/v1/users``. A path may not climb out of
the base: a ``.`` or ``..`` segment, plain or percent-encoded, is refused in a relative path
and in an absolute URL alike, and an absolute URL is accepted only under the base.

A URL a server gives (``Location``, a next-page link) goes through ``server_url``: resolved
against the URL it came from, bounded in length, http(s) with a valid host and port, and
re-encoded into a plain ASCII request target, so that both transports send the same bytes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast
from urllib.parse import quote, quote_plus, unquote, urlencode, urljoin, urlsplit, urlunsplit

from apiclient.defaults import MAX_LOCATION_LENGTH
from apiclient.policies.validation import check_no_controls, check_url_text

Params = Mapping[str, Any] | Iterable[tuple[str, Any]]

# Characters left as they are in a path: RFC 3986 pchar plus "/" and an existing "%XX".
_PATH_SAFE = "/:@!$&'()*+,;=-._~%"
# ... and in a query: a path's, plus "?" (RFC 3986 section 3.4).
_QUERY_SAFE = _PATH_SAFE + "?"


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
        if has_dot_segments(path[len(prefix) :].partition("?")[0].partition("#")[0]):
            raise ValueError("a URL may not contain '.' or '..' segments")
        return path
    path, question, query = path.partition("?")
    path = path.lstrip("/")
    if has_dot_segments(path):
        raise ValueError("a path may not contain '.' or '..' segments")
    url = prefix + quote(path, safe=_PATH_SAFE)
    return url + question + query if query else url


def has_dot_segments(path: str) -> bool:
    """Whether ``path`` has a ``.`` or ``..`` segment once decoded (``%2e``, ``%2f``, backslash)."""
    if "." not in path and "%" not in path:
        return False  # the common case, decided without decoding
    decoded = unquote(path).replace("\\", "/")
    return any(segment in (".", "..") for segment in decoded.split("/"))


def server_url(url: str, base: str) -> str:
    """A URL given by a server, resolved against ``base`` and made safe to send.

    Raises ``ValueError`` (the caller turns it into its own error) for an oversized URL,
    control characters, a scheme other than http(s), a missing host or a bad port. User
    info is dropped, as is the fragment; the path and query are percent-encoded where they
    hold characters a request target may not (spaces, non-ASCII).
    """
    if len(url) > MAX_LOCATION_LENGTH:
        raise ValueError(f"the URL is longer than {MAX_LOCATION_LENGTH} characters")
    plain = _plain_on_origin(url, base)
    return plain if plain is not None else _resolved(url, base)


def _resolved(url: str, base: str) -> str:
    """``server_url`` by parsing: resolve, check, encode."""
    if any(ord(char) < 0x20 or char == "\x7f" for char in url):
        raise ValueError("the URL contains control characters")
    parts = urlsplit(urljoin(base, url.strip()))
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError(f"the URL's scheme is not http(s): {scheme[:20] or 'none'!r}")
    host = parts.hostname
    if not host:
        raise ValueError("the URL has no host")
    port = parts.port  # raises ValueError for a port out of range or not a number
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError as exc:
        raise ValueError("the URL's host is not a valid domain name") from exc
    if ":" in host:
        host = f"[{host}]"
    netloc = host if port is None else f"{host}:{port}"
    path = quote(parts.path, safe=_PATH_SAFE) or "/"
    query = quote(parts.query, safe=_QUERY_SAFE)
    return urlunsplit((scheme, netloc, path, query, ""))


#: A request target that needs no encoding, resolving or checking: ``/path?query`` in the
#: characters ``server_url`` leaves as they are.
_PLAIN_TARGET = re.compile(
    r"/(?![/\\])[A-Za-z0-9/:@!$&'()*+,;=\-._~%]*(?:\?[A-Za-z0-9/:@!$&'()*+,;=\-._~%?]*)?"
)


def _plain_on_origin(url: str, base: str) -> str | None:
    """``server_url``'s answer without parsing, for a plain link on ``base``'s origin.

    Next-page links are nearly always ``/path?query`` or that under the same origin:
    then the answer is the origin and the target as given (when the origin is already in
    the form ``server_url`` writes, and the path has no dot segments). Else None.
    """
    cut = base.find("/", base.find("//") + 2)
    origin = base if cut == -1 else base[:cut]
    target = url[len(origin) :] if url.startswith(origin) else url
    if (
        not target.startswith("/")
        or _PLAIN_TARGET.fullmatch(target) is None
        or has_dot_segments(target.partition("?")[0])
        or not _canonical_origin(origin)
    ):
        return None
    return origin + target


@lru_cache(maxsize=64)
def _canonical_origin(origin: str) -> bool:
    """Whether ``origin`` (``scheme://host[:port]``) is already as ``server_url`` writes it."""
    if "@" in origin or "?" in origin or "#" in origin:
        return False
    try:
        return _resolved(origin + "/x", origin + "/x") == origin + "/x"
    except ValueError:
        return False


def param_pairs(params: Params) -> Iterable[tuple[str, Any]]:
    """``params`` (a mapping or pairs) as (name, value) pairs."""
    if isinstance(params, Mapping):
        return cast(Mapping[str, Any], params).items()
    return params


def params_dict(params: Params | None) -> dict[str, Any]:
    """``params`` (a mapping or pairs) as a new dict (the last of a repeated key wins)."""
    if params is None:
        return {}
    return dict(param_pairs(params))


def encode_params(params: Params) -> str:
    """Encode parameters as a query string.

    ``None`` values are dropped, booleans become ``true``/``false``, a list or tuple value
    repeats its key, and everything else is ``str()``-ed and UTF-8 percent-encoded.
    """
    pairs: list[tuple[str, str]] = []
    for key, value in param_pairs(params):
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
