"""Conditional requests: remember ``ETag`` / ``Last-Modified`` and revalidate with them.

``APIClient(cache=ETagCache(maxsize=1000))`` stores, per URL, the validators and the
response of each successful GET that carried one. The next GET of that URL sends
``If-None-Match`` / ``If-Modified-Since``; a ``304 Not Modified`` then returns the cached
response (decoded as usual) instead of an error. GitHub does not count 304s against the
rate limit. The cache is a bounded LRU, safe to share between threads, and keyed by the
URL as built (before credentials are added), so one client's entries never mix with
another's unless you share the cache object on purpose.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from apiclient.models import Headers, Request, Response


class ETagCache:
    """A thread-safe LRU of the last ``maxsize`` validated GET responses."""

    def __init__(self, maxsize: int = 1000) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self.maxsize = maxsize
        self._entries: OrderedDict[str, Response] = OrderedDict()
        self._lock = threading.Lock()
        self.hits: int = 0

    def prepare(self, request: Request) -> Request:
        """Add ``If-None-Match`` / ``If-Modified-Since`` to a GET whose URL is cached."""
        if request.method != "GET":
            return request
        with self._lock:
            cached = self._entries.get(request.url)
            if cached is not None:
                self._entries.move_to_end(request.url)
        if cached is None:
            return request
        headers = request.headers.copy()
        etag = cached.headers.get("etag")
        modified = cached.headers.get("last-modified")
        if etag and "If-None-Match" not in headers:
            headers["If-None-Match"] = etag
        if modified and "If-Modified-Since" not in headers:
            headers["If-Modified-Since"] = modified
        return Request(request.method, request.url, headers, request.body)

    def resolve(self, request: Request, response: Response) -> Response:
        """Return the cached response for a 304; remember a fresh 200 with validators."""
        if request.method != "GET":
            return response
        if response.status == 304:
            with self._lock:
                cached = self._entries.get(request.url)
                if cached is not None:
                    self.hits += 1
                    return cached
            return response
        if response.status == 200 and (
            "etag" in response.headers or "last-modified" in response.headers
        ):
            stored = Response(
                200,
                Headers(response.headers.items()),
                response.data,
                reason=response.reason,
                url=response.url,
            )
            with self._lock:
                self._entries[request.url] = stored
                self._entries.move_to_end(request.url)
                while len(self._entries) > self.maxsize:
                    self._entries.popitem(last=False)
        return response

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"<ETagCache {len(self._entries)}/{self.maxsize} entries, {self.hits} hits>"

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()
