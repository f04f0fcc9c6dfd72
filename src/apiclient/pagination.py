"""``client.paginate(...)``: lazy iterators over items across pages, sync and async.

The decisions (what the items are, where the next page is) belong to the paginator, a pure
policy (``policies.pagination``); ``PageWalk`` holds the walk's state (which URL next, when
to stop), also without I/O. ``Paginated`` and ``AsyncPaginated`` only fetch: each page goes
through the client's full call path, so rate limiting, retries and auth apply to every
page. A next-page URL must be on the client's origin; one elsewhere raises
``PaginationError`` unless ``follow_other_origins=True``, and then it is fetched without
credentials or any header not on the safe allowlist. A page URL seen before ends the walk
(an API whose last page links to itself), and ``MAX_PAGES`` bounds a runaway API.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import Any

from apiclient.defaults import MAX_PAGES
from apiclient.errors import PaginationError
from apiclient.models import Response
from apiclient.policies.pagination import Page, Paginator
from apiclient.policies.urls import Params, server_url


class PageWalk:
    """Where a walk over pages stands: the next URL to fetch, or the end."""

    def __init__(
        self,
        url_for: Callable[[Mapping[str, Any]], str],
        params: Params | None,
        paginator: Paginator,
        max_pages: int | None,
    ) -> None:
        self._url_for = url_for
        self._first_params = dict(params.items() if isinstance(params, Mapping) else params or ())
        self._params: Mapping[str, Any] = self._first_params
        self._url: str | None = url_for(self._first_params)
        self._paginator = paginator
        self._max_pages = max_pages
        self._seen: set[str] = set()
        self._number = 0

    def next_url(self) -> str | None:
        """The URL of the next page to fetch, or None when the walk is over."""
        url = self._url
        if url is None or url in self._seen:
            return None  # the last page said so, or a page links back to one already read
        if self._max_pages is not None and self._number >= self._max_pages:
            return None
        if self._number >= MAX_PAGES:
            raise PaginationError(f"more than {MAX_PAGES} pages; pass max_pages to bound it")
        self._seen.add(url)
        return url

    def record(self, body: Any, response: Response) -> Page:
        """Take the fetched page; work out where the next one is."""
        self._number += 1
        page = Page(body, response, self._params, self._number)
        following = self._paginator.next_page(page)
        if following is None:
            self._url = None
        elif following.url is not None:
            try:  # relative to the page it came from; checked and encoded like a Location
                self._url = server_url(following.url, response.url)
            except ValueError as exc:
                raise PaginationError(f"refusing the next-page link: {exc}") from None
        else:
            self._params = {**self._first_params, **following.params}
            self._url = self._url_for(self._params)
        return page


class _Bounded:
    """Shared set-up of the sync and async iterators."""

    def __init__(
        self,
        client: Any,
        path: str,
        params: Params | None,
        paginator: Paginator,
        *,
        max_pages: int | None,
        max_items: int | None,
        follow_other_origins: bool,
        options: Mapping[str, Any],
    ) -> None:
        self._client = client
        self._path = path
        self._params = params
        self._paginator = paginator
        self._max_pages = max_pages
        self._max_items = max_items
        self._follow_other_origins = follow_other_origins
        self._options = options

    def _items_of(self, page: Page, taken: int) -> list[Any]:
        """The page's items, cut where ``max_items`` (of which ``taken`` given) runs out."""
        items = self._paginator.items(page)
        return items if self._max_items is None else items[: self._max_items - taken]

    def _enough(self, taken: int) -> bool:
        return self._max_items is not None and taken >= self._max_items

    def _walk(self) -> PageWalk:
        return PageWalk(
            lambda params: self._client._compose_url(self._path, params),
            self._params,
            self._paginator,
            self._max_pages,
        )


class Paginated(_Bounded):
    """Items across pages, fetched lazily as you iterate. ``pages()`` yields whole pages."""

    def __iter__(self) -> Iterator[Any]:
        taken = 0
        if self._enough(taken):
            return
        for page in self.pages():
            items = self._items_of(page, taken)
            yield from items
            taken += len(items)
            if self._enough(taken):
                return  # stop before asking for a page whose items would not be used

    def pages(self) -> Iterator[Page]:
        """Yield each ``Page`` (decoded body, whole response, params) in turn."""
        walk, client = self._walk(), self._client
        while (url := walk.next_url()) is not None:
            body, response = client._fetch_page(url, self._follow_other_origins, self._options)
            yield walk.record(body, response)


class AsyncPaginated(_Bounded):
    """``async for item in api.paginate(...)``; ``pages()`` is an async iterator of pages."""

    async def __aiter__(self) -> AsyncIterator[Any]:
        taken = 0
        if self._enough(taken):
            return
        async for page in self.pages():
            items = self._items_of(page, taken)
            for item in items:
                yield item
            taken += len(items)
            if self._enough(taken):
                return

    async def pages(self) -> AsyncIterator[Page]:
        """Yield each ``Page`` (decoded body, whole response, params) in turn."""
        walk, client = self._walk(), self._client
        while (url := walk.next_url()) is not None:
            body, response = await client._fetch_page(
                url, self._follow_other_origins, self._options
            )
            yield walk.record(body, response)
