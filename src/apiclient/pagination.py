"""``client.paginate(...)``: lazy iterators over items across pages, sync and async.

The decisions (what the items are, what the next request is) belong to the paginator, a
pure policy (``policies.pagination``); ``PageWalk`` holds the walk's state (the next
request, when to stop) and ``page_request`` the rule for where credentials go, also
without I/O. ``Paginated`` and ``AsyncPaginated`` only fetch: each page goes through the
client's full call path, so rate limiting, retries and auth apply to every page, and
with ``model=`` every item is built into that type.

The first request may be any method with any body (``paginate(path, method="POST",
json=query)``); each next one repeats it with the paginator's changes. A next-page URL
must be on the client's origin; one elsewhere raises ``PaginationError`` unless
``follow_other_origins=True``, and then it is sent without credentials or any header
not on the safe allowlist. A request seen before ends the walk (an API whose last page
links to itself), and ``MAX_PAGES`` bounds a runaway API.
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import AsyncIterator, Callable, Generator, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from apiclient.calls import CallOptions
from apiclient.decoders import Mismatch, describe_path
from apiclient.defaults import MAX_PAGES, SAFE_HEADERS
from apiclient.effects import Effect
from apiclient.errors import APIError, PaginationError, ValidationError
from apiclient.models import Headers, Request, Response
from apiclient.policies.pages import Page, Paginator
from apiclient.policies.urls import Params, origin_of, params_dict, server_url

if TYPE_CHECKING:
    from apiclient._core import ClientCore

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class PageRequest:
    """What one page is asked with."""

    method: str
    url: str
    params: Mapping[str, Any]
    json: Any = None


class PageWalk:
    """Where a walk over pages stands: the next page's request, or the end."""

    def __init__(
        self,
        url_for: Callable[[Mapping[str, Any]], str],
        first: PageRequest,
        paginator: Paginator,
        max_pages: int | None,
    ) -> None:
        self._url_for = url_for
        self._first = first
        self._next: PageRequest | None = first
        self._paginator = paginator
        self._max_pages = max_pages
        self._seen: set[tuple[str, str]] = set()
        self._number = 0

    @classmethod
    def starting(
        cls,
        url_for: Callable[[Mapping[str, Any]], str],
        method: str,
        params: Params | None,
        json: Any,
        paginator: Paginator,
        max_pages: int | None,
    ) -> PageWalk:
        """A walk from the first request: ``method`` on ``url_for(params)`` with ``json``."""
        first_params = params_dict(params)
        first = PageRequest(method, url_for(first_params), first_params, json)
        return cls(url_for, first, paginator, max_pages)

    def next_request(self) -> PageRequest | None:
        """The next page's request, or None when the walk is over."""
        following = self._next
        if following is None or (self._max_pages is not None and self._number >= self._max_pages):
            return None
        key = (following.url, _body_key(following.json))
        if key in self._seen:
            return None  # a page leads back to one already read
        if self._number >= MAX_PAGES:
            raise PaginationError(f"more than {MAX_PAGES} pages; pass max_pages to bound it")
        self._seen.add(key)
        return following

    def record(self, asked: PageRequest, body: Any, response: Response) -> Page:
        """Take the fetched page; work out the next request."""
        self._number += 1
        page = Page(body, response, asked.params, self._number, asked.method, asked.json)
        following = self._paginator.next_page(page)
        self._next = None if following is None else self._request_after(asked, response, following)
        return page

    def _request_after(self, asked: PageRequest, response: Response, following: Any) -> PageRequest:
        first = self._first
        json = first.json
        if following.json is not None:
            json = {**(json if isinstance(json, Mapping) else {}), **following.json}
        if following.url is not None:
            try:  # relative to the page it came from; checked and encoded like a Location
                url = server_url(following.url, response.url or asked.url)
            except ValueError as exc:
                raise PaginationError(f"refusing the next-page link: {exc}") from None
            return PageRequest(first.method, url, asked.params, json)
        params = {**first.params, **following.params}
        url = self._url_for(params) if following.params or not following.json else asked.url
        return PageRequest(first.method, url, params, json)


def _body_key(json: Any) -> str:
    return "" if json is None else jsonlib.dumps(json, sort_keys=True, default=str)


def page_request(
    client: ClientCore, asked: PageRequest, call: CallOptions, follow_other_origins: bool
) -> Request:
    """The request for one page; credentials and custom headers go only to the client's origin."""
    request = client._build_request(asked.method, asked.url, call)
    base = client._base  # (the prefix test spares most pages a parse of their URL)
    if asked.url.startswith(base.prefix) or origin_of(asked.url) == base.origin:
        return request
    if not follow_other_origins:
        raise PaginationError(
            "a next-page link leads to another origin; "
            "pass follow_other_origins=True to fetch it without credentials"
        )
    safe = Headers((k, v) for k, v in request.headers.items() if k.lower() in SAFE_HEADERS)
    return Request(request.method, request.url, safe, request.body)


def page_flow(
    client: ClientCore, request: Request, call: CallOptions
) -> Generator[Effect, Any, tuple[Any, Response]]:
    """One page through the client's call path: its decoded body and its response."""
    response = yield from client._flow(request, call)
    return client._finish(response, request, call), response


class _Bounded(Generic[T]):
    """Shared set-up of the sync and async iterators."""

    def __init__(
        self,
        client: Any,
        path: str,
        params: Params | None,
        paginator: Paginator,
        *,
        method: str = "GET",
        json: Any = None,
        model: Any = None,
        max_pages: int | None,
        max_items: int | None,
        follow_other_origins: bool,
        options: Mapping[str, Any],
    ) -> None:
        self._client = client
        self._path = path
        self._params = params
        self._paginator = paginator
        self._method = method
        self._json = json
        self._model = model
        self._max_pages = max_pages
        self._max_items = max_items
        self._follow_other_origins = follow_other_origins
        self._options = options

    def _items_of(self, page: Page, taken: int) -> list[T]:
        """The page's items (built into the model), cut where ``max_items`` runs out."""
        items = self._paginator.items(page)
        if self._max_items is not None:
            items = items[: self._max_items - taken]
        return items if self._model is None else self._converted(items, page)

    def _converted(self, items: list[Any], page: Page) -> list[T]:
        convert, model = self._client.decoder.convert, self._model
        out = []
        for index, item in enumerate(items):
            try:
                out.append(convert(item, model))
            except ValueError as exc:
                raise _item_error(self._client, page, index, model, exc) from None
        return out

    def _enough(self, taken: int) -> bool:
        return self._max_items is not None and taken >= self._max_items

    def _walk(self) -> PageWalk:
        url_for = lambda params: self._client._compose_url(self._path, params)  # noqa: E731
        return PageWalk.starting(
            url_for, self._method, self._params, self._json, self._paginator, self._max_pages
        )

    def _page_call(self, asked: PageRequest) -> tuple[Request, CallOptions]:
        call = CallOptions(json=asked.json, **self._options)
        return page_request(self._client, asked, call, self._follow_other_origins), call

    def __repr__(self) -> str:
        model = f" of {getattr(self._model, '__qualname__', self._model)}" if self._model else ""
        paginator = type(self._paginator).__name__
        return f"<{type(self).__name__}{model}: {self._method} {self._path} by {paginator}>"


def _item_error(client: Any, page: Page, index: int, model: Any, exc: ValueError) -> APIError:
    """The ``ValidationError`` for item ``index`` of ``page``, naming the page's request."""
    path = [index, *exc.path] if isinstance(exc, Mismatch) else [index]
    reason = exc.reason if isinstance(exc, Mismatch) else str(exc)
    error = ValidationError(model, describe_path(path), reason[:200], status=page.response.status)
    request = page.response.request
    if request is not None:
        client._annotate(error, request, page.response)
    return error


class Paginated(_Bounded[T]):
    """Items across pages, fetched lazily as you iterate. ``pages()`` yields whole pages."""

    def __iter__(self) -> Iterator[T]:
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
        """Yield each ``Page`` (decoded body, whole response, its request) in turn."""
        walk, client = self._walk(), self._client
        while (asked := walk.next_request()) is not None:
            request, call = self._page_call(asked)
            body, response = client._run(page_flow(client, request, call))
            yield walk.record(asked, body, response)


class AsyncPaginated(_Bounded[T]):
    """``async for item in api.paginate(...)``; ``pages()`` is an async iterator of pages."""

    async def __aiter__(self) -> AsyncIterator[T]:
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
        """Yield each ``Page`` (decoded body, whole response, its request) in turn."""
        walk, client = self._walk(), self._client
        while (asked := walk.next_request()) is not None:
            request, call = self._page_call(asked)
            body, response = await client._run(page_flow(client, request, call))
            yield walk.record(asked, body, response)
