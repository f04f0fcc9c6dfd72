"""What a paginator works with (``Page``, ``NextPage``, ``Paginator``) and the default one.

The default, ``LinkHeader`` (RFC 8288), lives here apart from the body-driven paginators of
``policies.pagination``, so that a client loads only what its first call needs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from apiclient.defaults import MAX_LOCATION_LENGTH
from apiclient.models import Response


@dataclass(frozen=True, slots=True)
class Page:
    """One page: its decoded ``body``, the ``response``, and the request that produced it."""

    body: Any
    response: Response
    params: Mapping[str, Any]
    number: int  # 1 for the first page
    method: str = "GET"
    #: The JSON body the page was asked with (None for a GET).
    json: Any = None


@dataclass(frozen=True, slots=True)
class NextPage:
    """The next page's request: the first one with a new ``url``, ``params`` or ``json``.

    ``params`` and ``json`` are merged over the first request's (``json`` member by member,
    at the top level); a ``url`` replaces the path and query altogether.
    """

    url: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    json: Mapping[str, Any] | None = None


class Paginator(Protocol):
    """What ``APIClient.paginate(..., paginator=...)`` accepts."""

    def items(self, page: Page) -> list[Any]:
        """The items on ``page``."""
        ...

    def next_page(self, page: Page) -> NextPage | None:
        """Where the page after ``page`` is, or None if it is the last."""
        ...


def items_at(body: Any, key: str | None) -> list[Any]:
    """The list of items in ``body`` (itself, or under ``key``); a TypeError if not a list."""
    value = body if key is None else (body or {}).get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise TypeError(f"expected a list of items{f' under {key!r}' if key else ''}")
    return value


_LINK = re.compile(r"<([^>]*)>\s*((?:;\s*[^;,]*)*)")


def link_targets(header: str) -> dict[str, str]:
    """Parse an RFC 8288 ``Link`` header into {rel: url} (linear time, length-capped)."""
    links: dict[str, str] = {}
    for match in _LINK.finditer(header[: MAX_LOCATION_LENGTH * 4]):
        url, params = match.groups()
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "rel":
                for rel in value.strip().strip('"').lower().split():
                    links.setdefault(rel, url.strip())
    return links


@dataclass(frozen=True)
class LinkHeader:
    """RFC 8288 ``Link: <url>; rel="next"`` (GitHub and many others).

    Items are the body itself when it is a list, or the list under ``items_key``.
    """

    items_key: str | None = None

    def items(self, page: Page) -> list[Any]:
        """The page's items."""
        return items_at(page.body, self.items_key)

    def next_page(self, page: Page) -> NextPage | None:
        """Follow ``rel="next"``."""
        header = page.response.headers.get("link")
        target = link_targets(header).get("next") if header else None
        return NextPage(url=target) if target else None
