"""Ready-made routes for a ``FakeServer``: paged collections, rate limits and faults.

Each helper returns a route value (a ``Reply``, a list of them, or a function of the
request), so it plugs into the route table like any hand-written reply::

    FakeServer({
        "GET /repos": paged(repos, style="link", per_page=30),
        "GET /search": rate_limited(Reply(json={"hits": []}), limit=10, window=60),
        "GET /flaky": flaky(Reply(json={"ok": True}), failures=2),
    })
"""

from __future__ import annotations

import base64
import hashlib
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import replace
from email.utils import formatdate
from typing import Any, Literal
from urllib.parse import urlencode

from apiclient.testing.server import RecordedRequest, Reply, ReplySource, resolve_reply

PageStyle = Literal[
    "link", "page", "offset", "cursor", "has_more", "graph", "body-cursor", "graphql"
]
RouteFunction = Callable[[RecordedRequest], Reply]


def flaky(
    reply: Reply,
    *,
    failures: int = 1,
    status: int = 503,
    headers: dict[str, str] | None = None,
) -> list[Reply]:
    """Fail ``failures`` times with ``status`` (and ``headers``), then serve ``reply``."""
    return [Reply(status, json={"error": "injected fault"}, headers=headers or {})] * failures + [
        reply
    ]


def paged(
    items: Sequence[Any],
    *,
    style: PageStyle = "link",
    per_page: int = 30,
    max_per_page: int = 100,
    items_key: str = "items",
    connection: str = "items",
) -> RouteFunction:
    """A collection served page by page, the way real APIs do it.

    ``style`` picks the wire format (each matches the paginator of the same idea):

    - ``"link"``: ``?page=&per_page=``, the body is the list, ``Link: <...>; rel="next"``
      (GitHub; ``LinkHeader``);
    - ``"page"``: ``?page=&per_page=`` -> ``{items_key: [...], "page", "per_page", "total"}``
      (``PageNumber(items_key=..., total_key="total")``);
    - ``"offset"``: ``?offset=&limit=`` -> ``{items_key: [...], "total"}`` (``OffsetLimit``);
    - ``"cursor"``: ``?cursor=&limit=`` -> ``{"data": [...], "next_cursor"}`` (``Cursor``);
    - ``"has_more"``: ``?starting_after=<id>&limit=`` -> ``{"data": [...], "has_more"}``
      (Stripe; ``HasMore``; items need an ``"id"``);
    - ``"graph"``: ``?after=&limit=`` -> ``{"data": [...], "paging": {"cursors", "next"}}``
      (Facebook Graph; ``GraphPaging``);
    - ``"body-cursor"``: ``{"start_cursor", "page_size"}`` in the JSON body (a POST), or the
      query (a GET) -> ``{"results": [...], "next_cursor", "has_more"}`` (Notion;
      ``BodyCursor``);
    - ``"graphql"``: a GraphQL POST whose ``variables`` carry ``first`` and ``after`` ->
      ``{"data": {<connection>: {"nodes": [...], "pageInfo": {"hasNextPage",
      "endCursor"}}}}``, ``connection`` a dotted path (``GraphQLConnection(connection)``).

    A page size above ``max_per_page`` is capped, as real APIs do.
    """
    collection = list(items)
    if style in ("body-cursor", "graphql"):
        serve = _posted_pages(collection, style, per_page, max_per_page, connection)
    elif style in ("link", "page"):
        serve = _numbered_pages(collection, style, per_page, max_per_page, items_key)
    else:
        serve = _windowed_pages(collection, style, per_page, max_per_page, items_key)
    return _refusing_bad_input(serve)


def _windowed_pages(
    collection: list[Any], style: str, per_page: int, max_per_page: int, items_key: str
) -> RouteFunction:
    """The offset, cursor, has_more and graph styles: a window of the collection a page."""

    def serve(request: RecordedRequest) -> Reply:
        size = _page_size(request.args.get("limit"), per_page, max_per_page)
        start = _start_of(request, style, collection)
        chunk = collection[start : start + size]
        more = start + size < len(collection)
        if style == "offset":
            return Reply(json={items_key: chunk, "total": len(collection)})
        if style == "cursor":
            following = _cursor(start + size) if more else None
            return Reply(json={"data": chunk, "next_cursor": following})
        if style == "has_more":
            return Reply(json={"data": chunk, "has_more": more})
        paging: dict[str, Any] = {
            "cursors": {"before": _cursor(start), "after": _cursor(start + len(chunk))}
        }
        if more:
            query = {**request.args, "after": _cursor(start + size), "limit": size}
            paging["next"] = _with_query(request, query)
        return Reply(json={"data": chunk, "paging": paging})

    return serve


def _posted_pages(
    collection: list[Any], style: str, per_page: int, max_per_page: int, connection: str
) -> RouteFunction:
    """The body-cursor and graphql styles: the paging input comes in the request's body."""

    def serve(request: RecordedRequest) -> Reply:
        body = request.json() if request.body else {}
        if not isinstance(body, dict):
            raise ValueError("the body is not a JSON object")
        if style == "graphql":
            asked = body.get("variables") or {}
            size_key, cursor_key = "first", "after"
        else:
            asked = body or request.args
            size_key, cursor_key = "page_size", "start_cursor"
        size = _page_size(_text(asked.get(size_key)), per_page, max_per_page)
        cursor = asked.get(cursor_key)
        start = int(base64.urlsafe_b64decode(str(cursor).encode()).decode()) if cursor else 0
        chunk, more = collection[start : start + size], start + size < len(collection)
        following = _cursor(start + size) if more else None
        if style == "body-cursor":
            return Reply(json={"object": "list", "results": chunk, "next_cursor": following,
                               "has_more": more})  # fmt: skip
        found: Any = {"nodes": chunk, "pageInfo": {"hasNextPage": more, "endCursor": following}}
        for key in reversed(connection.split(".")):
            found = {key: found}
        return Reply(json={"data": found})

    return serve


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _refusing_bad_input(serve: RouteFunction) -> RouteFunction:
    """Answer 400, as an API would, when a page number, size or cursor does not parse."""

    def guarded(request: RecordedRequest) -> Reply:
        try:
            return serve(request)
        except ValueError:
            return Reply(400, json={"error": "invalid paging parameter"})

    return guarded


def _numbered_pages(
    collection: list[Any], style: str, per_page: int, max_per_page: int, items_key: str
) -> RouteFunction:
    def serve(request: RecordedRequest) -> Reply:
        size = _page_size(request.args.get("per_page"), per_page, max_per_page)
        number = max(1, int(request.args.get("page") or 1))
        chunk = collection[(number - 1) * size : number * size]
        if style == "page":
            body = {items_key: chunk, "page": number, "per_page": size, "total": len(collection)}
            return Reply(json=body)
        last = max(1, math.ceil(len(collection) / size))
        relations = {"first": 1, "prev": number - 1, "next": number + 1, "last": last}
        links = [
            f"<{_with_query(request, {**request.args, 'page': page, 'per_page': size})}>; "
            f'rel="{rel}"'
            for rel, page in relations.items()
            if 1 <= page <= last and page != number
        ]
        return Reply(json=chunk, headers={"Link": ", ".join(links)} if links else {})

    return serve


def _page_size(asked: str | None, default: int, largest: int) -> int:
    return max(1, min(int(asked), largest)) if asked else default


def _start_of(request: RecordedRequest, style: str, collection: list[Any]) -> int:
    if style == "offset":
        return int(request.args.get("offset") or 0)
    if style == "has_more":
        after = request.args.get("starting_after")
        ids = [str(item["id"]) for item in collection]
        return ids.index(after) + 1 if after in ids else 0
    token = request.args.get("cursor" if style == "cursor" else "after")
    return int(base64.urlsafe_b64decode(token.encode()).decode()) if token else 0


def _cursor(position: int) -> str:
    """An opaque cursor, as real APIs hand out (here: the position, base64-encoded)."""
    return base64.urlsafe_b64encode(str(position).encode()).decode()


def _with_query(request: RecordedRequest, query: dict[str, Any]) -> str:
    return f"{request.url.split('?', 1)[0]}?{urlencode(query)}"


RateLimitDialect = Literal["github", "gitlab", "ietf", "retry-after"]


class RateLimitedRoute:
    """Serves a route under a quota of ``limit`` requests per ``window`` seconds.

    Every reply carries the quota in the headers of ``dialect``, and one ``Date`` from
    ``clock``:

    - ``"github"``: ``X-RateLimit-Limit``, ``-Remaining``, ``-Used``, ``-Reset`` (epoch
      seconds) and ``-Resource`` (``resource``);
    - ``"gitlab"``: ``RateLimit-Limit``, ``-Remaining``, ``-Observed``, ``-Reset`` (epoch
      seconds) and ``-ResetTime`` (an HTTP date);
    - ``"ietf"``: ``RateLimit: "<resource>";r=<remaining>;t=<seconds>`` and
      ``RateLimit-Policy: "<resource>";q=<limit>;w=<window>`` (the current draft);
    - ``"retry-after"``: nothing until refused.

    Over the quota it answers ``status`` (429, or 403 as GitHub does) with ``Retry-After``
    and ``body`` (JSON, or bytes as they are) until there is room again. ``sliding=True``
    counts the last ``window`` seconds instead of fixed windows. A ``304 Not Modified`` is
    not counted, as on GitHub. ``clock`` is the wall clock (``time.time``): inject a fake
    one, and the same to the client, to test without waiting. ``rejected`` counts
    refusals; ``share(other_route)`` puts another route under the same quota.
    """

    def __init__(
        self,
        reply: ReplySource,
        *,
        limit: int,
        window: float,
        status: int = 429,
        clock: Callable[[], float] = time.time,
        dialect: RateLimitDialect = "github",
        body: Any = None,
        sliding: bool = False,
        resource: str = "default",
    ) -> None:
        if dialect not in ("github", "gitlab", "ietf", "retry-after"):
            raise ValueError(f"unknown rate-limit dialect {dialect!r}")
        self.reply: ReplySource = reply
        self.limit: int = limit
        self.window: float = window
        self.status: int = status
        self.dialect: RateLimitDialect = dialect
        self.body: Any = {"message": "API rate limit exceeded"} if body is None else body
        self.sliding: bool = sliding
        self.resource: str = resource
        self._clock = clock
        self._lock = threading.Lock()
        self._window_start = float("-inf")
        self._used_at: deque[float] = deque()  # the times of the requests counted
        self._served = [0]
        self.rejected: int = 0

    def __call__(self, request: RecordedRequest) -> Reply:
        """Serve or refuse ``request``, counting it against the current window."""
        return self._serve(request, self.reply, self._served)

    def share(self, source: ReplySource) -> RouteFunction:
        """Another route counted against this same quota (GitHub's quota is per token)."""
        served = [0]
        return lambda request: self._serve(request, source, served)

    def _serve(self, request: RecordedRequest, source: ReplySource, served: list[int]) -> Reply:
        with self._lock:
            now = self._clock()
            self._expire(now)
            if len(self._used_at) >= self.limit:
                self.rejected += 1
                return self._refusal(now)
            self._used_at.append(now)
            index, served[0] = served[0], served[0] + 1
        reply = resolve_reply(source, request, index)
        with self._lock:
            if reply.status == 304 and now in self._used_at:
                self._used_at.remove(now)
            headers = self._headers(now)
        return replace(reply, headers={**reply.headers, **headers})

    def _refusal(self, now: float) -> Reply:
        headers = self._headers(now)
        headers["Retry-After"] = str(max(1, math.ceil(self._reset_at(now) - now)))
        if isinstance(self.body, bytes | str):
            return Reply(self.status, body=self.body, headers=headers)
        return Reply(self.status, json=self.body, headers=headers)

    def _expire(self, now: float) -> None:
        """Forget the requests that no longer count (a new fixed window, or slid out)."""
        used = self._used_at
        if self.sliding:
            while used and used[0] <= now - self.window:
                used.popleft()
        elif now >= self._window_start + self.window:
            self._window_start = now
            used.clear()

    def _reset_at(self, now: float) -> float:
        """When there is room again: the window's end, or when the oldest request slides out."""
        if self.sliding:
            return self._used_at[0] + self.window if self._used_at else now
        return self._window_start + self.window

    def quota(self) -> dict[str, int]:
        """The quota now: ``limit``, ``remaining``, ``used`` and ``reset`` (epoch seconds)."""
        with self._lock:
            now = self._clock()
            self._expire(now)
            used = len(self._used_at)
            reset = self._reset_at(now) if used else now + self.window
            return {
                "limit": self.limit,
                "remaining": self.limit - used,
                "used": used,
                "reset": math.ceil(reset),
            }

    def _headers(self, now: float) -> dict[str, str]:
        used = len(self._used_at)
        remaining, reset_at = max(0, self.limit - used), self._reset_at(now)
        headers = {"Date": formatdate(now, usegmt=True)}
        if self.dialect == "github":
            headers.update({
                "X-RateLimit-Limit": str(self.limit),
                "X-RateLimit-Remaining": str(remaining),
                "X-RateLimit-Used": str(used),
                "X-RateLimit-Reset": str(math.ceil(reset_at)),
                "X-RateLimit-Resource": self.resource,
            })  # fmt: skip
        elif self.dialect == "gitlab":
            headers.update({
                "RateLimit-Limit": str(self.limit),
                "RateLimit-Remaining": str(remaining),
                "RateLimit-Observed": str(used),
                "RateLimit-Reset": str(math.ceil(reset_at)),
                "RateLimit-ResetTime": formatdate(math.ceil(reset_at), usegmt=True),
            })  # fmt: skip
        elif self.dialect == "ietf":
            seconds = max(0, math.ceil(reset_at - now))
            headers["RateLimit"] = f'"{self.resource}";r={remaining};t={seconds}'
            headers["RateLimit-Policy"] = f'"{self.resource}";q={self.limit};w={self.window:g}'
        return headers


def conditional(source: ReplySource) -> RouteFunction:
    """``source`` with an ``ETag`` on each 200, and ``304 Not Modified`` when it matches.

    The ETag is a digest of the body, so it changes exactly when the content does. A
    request whose ``If-None-Match`` names the current ETag gets an empty 304.
    """
    served = 0
    lock = threading.Lock()

    def serve(request: RecordedRequest) -> Reply:
        nonlocal served
        with lock:
            index, served = served, served + 1
        reply = resolve_reply(source, request, index)
        if reply.status != 200:
            return reply
        body, _ = reply.encoded()
        etag = f'"{hashlib.sha256(body).hexdigest()[:20]}"'
        asked = request.headers.get("if-none-match", "")
        if etag in [tag.strip() for tag in asked.split(",")]:
            return Reply(304, headers={"ETag": etag})
        return replace(reply, headers={**reply.headers, "ETag": etag})

    return serve


#: ``rate_limited(reply, limit=, window=)``: the route factory spelling, like ``paged``.
rate_limited = RateLimitedRoute
