"""Per-route rate limits: which limiter, throttle and concurrency limit a request goes through.

A client declares its buckets as a mapping of route patterns to limiters, first match wins::

    RATE_LIMITS = {
        "/search/*": RateLimiter(30, 60),                         # GitHub's search API
        "POST *": Bucket(max_in_flight=1),                        # no concurrent writes
        "*": RateLimiter(5000, 3600),                             # everything else
    }

A pattern is a glob (``fnmatch``: ``*`` matches across ``/``) on the request's path relative
to ``BASE_URL`` (``/search/issues`` for ``https://api.github.com/search/issues``), optionally
after a method (``"POST /repos/*"``). The seed's ``rate_limit_lock=`` is the ``"*"`` bucket.
Each bucket has its own adaptive throttle, so a server pause on one route stops only the
callers of that bucket (or of the bucket the response names, ``X-RateLimit-Resource``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from fnmatch import translate
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from apiclient.effects import SupportsAcquire
from apiclient.policies.ratelimit_headers import Dialect
from apiclient.ratelimit.adaptive import AdaptiveThrottle, throttle_for
from apiclient.ratelimit.concurrency import ConcurrencyLimiter, in_flight_limiter
from apiclient.ratelimit.pacing import Pacing

if TYPE_CHECKING:
    from apiclient.flow import CallSettings

#: Distinct paths whose bucket is remembered (a client calls the same few paths again).
_CACHE_SIZE = 1024
_METHOD = re.compile(r"([A-Z]+) +(.+)\Z")


@dataclass(frozen=True, slots=True)
class Bucket:
    """A bucket's limits: a rate ``limiter``, a concurrency cap, the name the server calls it.

    ``name`` is what the server calls this limit (``X-RateLimit-Resource``, an IETF policy
    name); it defaults to the route pattern. ``max_in_flight`` caps this bucket's requests
    on the wire (an int, or a shared ``RedisConcurrencyLimiter``).
    """

    limiter: SupportsAcquire | None = None
    name: str | None = None
    max_in_flight: int | ConcurrencyLimiter | None = None


@dataclass(slots=True)
class RouteLimit:
    """One bucket as a client runs it: its limiter, throttle and concurrency limit."""

    name: str
    pattern: str
    limiter: SupportsAcquire | None
    throttle: AdaptiveThrottle | None
    in_flight: ConcurrencyLimiter | None
    #: (the client settings these were derived from, the bucket's settings)
    _settings: tuple[Any, Any] | None = None

    def settings(self, base: CallSettings, client_in_flight: tuple[Any, ...]) -> CallSettings:
        """``base`` with this bucket's limiter, throttle and concurrency limits."""
        cached = self._settings
        if cached is not None and cached[0] is base:
            return cached[1]  # type: ignore[no-any-return]
        in_flight = (*((self.in_flight,) if self.in_flight is not None else ()), *client_in_flight)
        settings = replace(base, limiter=self.limiter, throttle=self.throttle, in_flight=in_flight)
        self._settings = (base, settings)
        return settings


class RateLimits:
    """A client's buckets and the routes to them (see the module docstring)."""

    def __init__(
        self,
        table: Mapping[str, SupportsAcquire | Bucket | None],
        *,
        base_prefix: str,
        clock: Callable[[], float],
        adaptive: bool = True,
        dialect: Dialect = "auto",
        pacing: Pacing | bool | None = True,
        max_in_flight: int | ConcurrencyLimiter | None = None,
    ) -> None:
        self._prefix = base_prefix
        self.client_in_flight: tuple[ConcurrencyLimiter, ...] = tuple(
            limiter for limiter in (in_flight_limiter(max_in_flight),) if limiter is not None
        )
        routes: list[tuple[str | None, re.Pattern[str], RouteLimit]] = []
        for key, value in {**table, **({} if "*" in table else {"*": None})}.items():
            bucket = value if isinstance(value, Bucket) else Bucket(limiter=value)
            method, pattern = _split_method(key)
            limit = RouteLimit(
                name=bucket.name or key,
                pattern=key,
                limiter=bucket.limiter,
                throttle=throttle_for(bucket.limiter, clock, dialect=dialect, pacing=pacing)
                if adaptive
                else None,
                in_flight=in_flight_limiter(bucket.max_in_flight),
            )
            routes.append((method, re.compile(translate(pattern)), limit))
        self._routes = routes
        self.buckets: dict[str, RouteLimit] = {limit.name: limit for *_, limit in routes}
        self.default: RouteLimit = self.buckets.get("*") or routes[-1][2]
        siblings = {name: b.throttle for name, b in self.buckets.items() if b.throttle}
        for limit in self.buckets.values():
            if limit.throttle is not None:
                limit.throttle.siblings = siblings
        self._cache: dict[tuple[str, str], RouteLimit] = {}

    @property
    def trivial(self) -> bool:
        """Whether every request goes through one bucket and no concurrency limit."""
        return (
            len(self._routes) == 1 and self.default.in_flight is None and not self.client_in_flight
        )

    def route(self, method: str, url: str) -> RouteLimit:
        """The bucket for a request: the first pattern its method and path match."""
        path = self._relative_path(url)
        key = (method, path)
        found = self._cache.get(key)
        if found is None:
            found = self._match(method, path)
            if len(self._cache) >= _CACHE_SIZE:
                self._cache.clear()
            self._cache[key] = found
        return found

    def settings(self, base: CallSettings, method: str, url: str) -> CallSettings:
        """``base`` with the limits of the bucket ``url`` belongs to."""
        return self.route(method, url).settings(base, self.client_in_flight)

    def in_flight_of(self, limit: RouteLimit) -> tuple[ConcurrencyLimiter, ...]:
        """The concurrency limits a request of bucket ``limit`` takes a slot of, in order."""
        own = (limit.in_flight,) if limit.in_flight is not None else ()
        return (*own, *self.client_in_flight)

    def default_limits(self) -> dict[str, Any]:
        """The ``"*"`` bucket's limits, as ``CallSettings`` fields."""
        default = self.default
        return {
            "limiter": default.limiter,
            "throttle": default.throttle,
            "in_flight": self.in_flight_of(default),
        }

    def limiters(self) -> list[Any]:
        """Every bucket's limiter (to close them with the client)."""
        return [b.limiter for b in self.buckets.values() if b.limiter is not None]

    def _match(self, method: str, path: str) -> RouteLimit:
        for wanted, pattern, limit in self._routes:
            if (wanted is None or wanted == method) and pattern.match(path):
                return limit
        return self.default

    def _relative_path(self, url: str) -> str:
        if url.startswith(self._prefix):
            rest = url[len(self._prefix) :]
            return "/" + rest.partition("?")[0].partition("#")[0].lstrip("/")
        return urlsplit(url).path or "/"

    def __repr__(self) -> str:
        return f"RateLimits({', '.join(repr(name) for name in self.buckets)})"


def _split_method(key: str) -> tuple[str | None, str]:
    """``"POST /repos/*"`` into ``("POST", "/repos/*")``; a bare pattern has no method."""
    if not isinstance(key, str) or not key:
        raise TypeError(f"a rate-limit route is a non-empty pattern string, not {key!r}")
    found = _METHOD.match(key)
    return (found[1], found[2]) if found else (None, key)
