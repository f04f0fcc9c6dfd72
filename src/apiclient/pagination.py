"""``client.paginate(...)``: a lazy iterator over items across pages (sync driver).

The decisions (what the items are, where the next page is) belong to the paginator, a pure
policy (``policies.pagination``). This module only walks: request a page through the client
(so rate limiting, retries and auth apply to every page), hand it to the paginator, repeat.
A next-page URL must lie under ``BASE_URL``; one on another origin raises
``PaginationError`` unless ``follow_other_origins=True``, and then it is fetched without
credentials or any header not on the safe allowlist. A page URL seen before ends the walk
(an API whose last page links to itself), and ``MAX_PAGES`` bounds a runaway API.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from apiclient.defaults import MAX_PAGES
from apiclient.errors import PaginationError
from apiclient.policies.pagination import Page, Paginator
from apiclient.policies.urls import Params

if TYPE_CHECKING:
    from apiclient.client import APIClient


class Paginated:
    """Items across pages, fetched lazily as you iterate. ``pages()`` yields whole pages."""

    def __init__(
        self,
        client: APIClient,
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
        self._params = dict(params.items() if isinstance(params, Mapping) else params or ())
        self._paginator = paginator
        self._max_pages = max_pages
        self._max_items = max_items
        self._follow_other_origins = follow_other_origins
        self._options = options

    def __iter__(self) -> Iterator[Any]:
        remaining = self._max_items
        for page in self.pages():
            for item in self._paginator.items(page):
                if remaining is not None:
                    if remaining <= 0:
                        return
                    remaining -= 1
                yield item

    def pages(self) -> Iterator[Page]:
        """Yield each ``Page`` (decoded body, whole response, params) in turn."""
        client, params, url = self._client, self._params, None
        seen: set[str] = set()
        number = 0
        while True:
            number += 1
            if self._max_pages is not None and number > self._max_pages:
                return
            if number > MAX_PAGES:
                raise PaginationError(f"more than {MAX_PAGES} pages; pass max_pages to bound it")
            target = url if url is not None else client._compose_url(self._path, params)
            if target in seen:
                return  # a page links back to one already read: the end
            seen.add(target)
            response = client._fetch_page(target, self._follow_other_origins, self._options)
            page = Page(client._handle_response(response), response, params, number)
            yield page
            following = self._paginator.next_page(page)
            if following is None:
                return
            if following.url is not None:
                url = following.url
            else:
                url, params = None, {**self._params, **following.params}
