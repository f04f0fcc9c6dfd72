"""Paginators: given one page, its items and the request for the next page. No I/O.

A paginator is a small object with two methods, so an unusual API takes a few lines::

    class NextToken:
        def items(self, page):
            return page.body["results"]

        def next_page(self, page):
            token = page.body.get("nextToken")
            return NextPage(params={"token": token}) if token else None

``page`` is a ``Page``: the decoded ``body``, the whole ``response`` (headers too), the
``params`` and the JSON body (``json``) of the request that produced it, and its ``method``.
``next_page`` describes the next request, which repeats the first one with changes:
``NextPage(url=...)`` follows a URL the API gave, ``NextPage(params=...)`` changes query
parameters, ``NextPage(json=...)`` changes top-level members of the JSON body (a cursor in
a POST body, as Notion's database query and GraphQL take it); None ends the walk.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from apiclient.policies.pages import LinkHeader, NextPage, Page, Paginator, link_targets
from apiclient.policies.pages import items_at as _items_at

__all__ = [
    "BodyCursor", "Cursor", "GraphPaging", "GraphQLConnection", "HasMore", "LinkHeader",
    "NextPage", "OffsetLimit", "Page", "PageNumber", "Paginator", "link_targets",
]  # fmt: skip


@dataclass(frozen=True)
class Cursor:
    """A cursor in the body: ``{"data": [...], "next_cursor": "abc"}`` -> ``?cursor=abc``.

    ``next_key`` may be a dotted path (``"meta.next_cursor"``); an empty cursor ends.
    """

    items_key: str | None = "data"
    next_key: str = "next_cursor"
    param: str = "cursor"

    def items(self, page: Page) -> list[Any]:
        """The page's items."""
        return _items_at(page.body, self.items_key)

    def next_page(self, page: Page) -> NextPage | None:
        """Send the cursor back as ``param``."""
        cursor = _dig(page.body, self.next_key)
        return NextPage(params={self.param: cursor}) if cursor else None


@dataclass(frozen=True)
class HasMore:
    """Stripe's style: ``{"data": [...], "has_more": true}`` -> ``?starting_after=<last id>``."""

    items_key: str = "data"
    has_more_key: str = "has_more"
    id_key: str = "id"
    param: str = "starting_after"

    def items(self, page: Page) -> list[Any]:
        """The page's items."""
        return _items_at(page.body, self.items_key)

    def next_page(self, page: Page) -> NextPage | None:
        """Continue after the last item's id while the API says there is more."""
        items = self.items(page)
        if not items or not (page.body or {}).get(self.has_more_key):
            return None
        return NextPage(params={self.param: items[-1][self.id_key]})


@dataclass(frozen=True)
class PageNumber:
    """Page numbers: ``?page=1``, ``?page=2``...

    Stops on an empty page, a page shorter than ``per_page``, or when ``total_key`` (a count
    of items in the body) is reached.
    """

    items_key: str | None = None
    param: str = "page"
    first: int = 1
    per_page: int | None = None
    per_page_param: str = "per_page"
    total_key: str | None = None

    def items(self, page: Page) -> list[Any]:
        """The page's items."""
        return _items_at(page.body, self.items_key)

    def next_page(self, page: Page) -> NextPage | None:
        """Ask for the next page number unless this page shows it was the last."""
        count = len(self.items(page))
        if _is_last(count, self.per_page, page, self.total_key):
            return None
        current = int(page.params.get(self.param, self.first))
        params: dict[str, Any] = {self.param: current + 1}
        if self.per_page is not None:
            params[self.per_page_param] = self.per_page
        return NextPage(params=params)


@dataclass(frozen=True)
class OffsetLimit:
    """``?offset=0&limit=100``, ``?offset=100&limit=100``... Stops like ``PageNumber``."""

    items_key: str | None = None
    limit: int = 100
    offset_param: str = "offset"
    limit_param: str = "limit"
    total_key: str | None = None

    def items(self, page: Page) -> list[Any]:
        """The page's items."""
        return _items_at(page.body, self.items_key)

    def next_page(self, page: Page) -> NextPage | None:
        """Move the offset past this page unless it was the last."""
        count = len(self.items(page))
        if _is_last(count, self.limit, page, self.total_key):
            return None
        offset = int(page.params.get(self.offset_param, 0)) + count
        return NextPage(params={self.offset_param: offset, self.limit_param: self.limit})


@dataclass(frozen=True)
class GraphPaging:
    """Facebook Graph API: ``{"data": [...], "paging": {"next": url, "cursors": {...}}}``.

    Follows ``paging.next``. Its absence marks the last page, as Graph's documentation says,
    even when ``paging.cursors`` is still present.
    """

    def items(self, page: Page) -> list[Any]:
        """The page's items."""
        return _items_at(page.body, "data")

    def next_page(self, page: Page) -> NextPage | None:
        """Follow ``paging.next``."""
        paging = (page.body or {}).get("paging") or {}
        following = paging.get("next")
        return NextPage(url=following) if following and self.items(page) else None


def _is_last(count: int, size: int | None, page: Page, total_key: str | None) -> bool:
    if count == 0 or (size is not None and count < size):
        return True
    if total_key is not None:
        total = _dig(page.body, total_key)
        seen = page.number * (size or count)
        return total is not None and seen >= int(total)
    return False


def _dig(body: Any, dotted: str) -> Any:
    value = body
    for part in dotted.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


@dataclass(frozen=True)
class BodyCursor:
    """A cursor in the body that goes back in the next request (Notion's style).

    ``{"results": [...], "has_more": true, "next_cursor": "abc"}``; the next request
    carries ``start_cursor=abc``: in the JSON body for a POST (a database query), in the
    query string for a GET. Stops when ``has_more`` is false or the cursor is empty.
    """

    items_key: str | None = "results"
    next_key: str = "next_cursor"
    has_more_key: str | None = "has_more"
    param: str = "start_cursor"

    def items(self, page: Page) -> list[Any]:
        """The page's items."""
        return _items_at(page.body, self.items_key)

    def next_page(self, page: Page) -> NextPage | None:
        """Send the cursor back, in the body (POST) or the query (GET)."""
        cursor = _dig(page.body, self.next_key)
        if not cursor or (self.has_more_key and not _dig(page.body, self.has_more_key)):
            return None
        if page.method == "GET":
            return NextPage(params={self.param: cursor})
        return NextPage(json={self.param: cursor})


@dataclass(frozen=True)
class GraphQLConnection:
    """A GraphQL connection (the Relay cursor spec): ``pageInfo`` says if and where next.

    ``connection`` is the dotted path to it in the response's data
    (``"repository.issues"``); its items are ``nodes`` (or each ``edges[].node``). The next
    request is the same query with ``variables[cursor_variable]`` set to
    ``pageInfo.endCursor``, while ``pageInfo.hasNextPage`` is true. The body may be the
    whole response (``{"data": ...}``) or, from a ``GraphQLClient``, its data.
    """

    connection: str
    cursor_variable: str = "after"

    def items(self, page: Page) -> list[Any]:
        """The connection's nodes."""
        found = self._connection(page)
        nodes = found.get("nodes")
        if nodes is None and isinstance(found.get("edges"), list):
            nodes = [edge.get("node") for edge in found["edges"] if isinstance(edge, Mapping)]
        if nodes is not None and not isinstance(nodes, list):
            raise TypeError(f"expected a list of nodes in {self.connection!r}")
        return nodes or []

    def next_page(self, page: Page) -> NextPage | None:
        """The same query, its cursor variable set to ``endCursor``."""
        info = self._connection(page).get("pageInfo") or {}
        cursor = info.get("endCursor")
        if not info.get("hasNextPage") or not cursor:
            return None
        body = page.json if isinstance(page.json, Mapping) else {}
        variables = body.get("variables") or {}
        return NextPage(json={"variables": {**variables, self.cursor_variable: cursor}})

    def _connection(self, page: Page) -> Mapping[str, Any]:
        body = page.body
        found = _dig(body, self.connection)
        if found is None and isinstance(body, Mapping) and "data" in body:
            found = _dig(body["data"], self.connection)
        return found if isinstance(found, Mapping) else {}
