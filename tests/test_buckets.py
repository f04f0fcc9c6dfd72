"""Per-route buckets: each route's own limiter, and a server pause only where it applies."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from email.utils import formatdate
from typing import Any, ClassVar

import pytest

from apiclient import (
    APIClient,
    Bucket,
    Forbidden,
    RateExceededError,
    RateLimiter,
    RedisRateLimiter,
    Timeouts,
    TooManyRequests,
)
from apiclient.testing import FakeServer, Reply

from .conftest import Acme, Sleeps
from .redis_server import RedisServer

MakeClient = Callable[..., Acme]


def search_limited(fake: FakeServer, now: float, reset_in: int = 30) -> None:
    """GitHub's search API out of quota (a 403 naming the ``search`` resource)."""
    headers = {
        "X-RateLimit-Limit": "30",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": str(int(now) + reset_in),
        "X-RateLimit-Resource": "search",
        "Date": formatdate(now, usegmt=True),
    }
    fake.add("GET /search/issues", Reply(403, json={"message": "rate limited"}, headers=headers))
    fake.add("GET /repos/a/b", Reply(json={"name": "b"}))


def test_routes_map_to_their_bucket_first_match_wins() -> None:
    search, core = RateLimiter(30, 60), RateLimiter(5000, 3600)
    writes = Bucket(max_in_flight=1, name="writes")

    class GitHub(APIClient):
        BASE_URL = "https://api.github.com"
        RATE_LIMITS: ClassVar[dict[str, Any]] = {
            "/search/*": search,
            "POST /repos/*": writes,
            "*": core,
        }

    api = GitHub()
    route = api.rate_limits.route
    assert route("GET", "https://api.github.com/search/issues?q=x").limiter is search
    assert route("GET", "https://api.github.com/repos/a/b").limiter is core
    assert route("POST", "https://api.github.com/repos/a/b/issues").name == "writes"
    assert route("GET", "https://api.github.com/repos/a/b").name == "*"
    assert api.rate_limit_lock is core  # the seed's name is the "*" bucket
    assert set(api.rate_limits.buckets) == {"/search/*", "writes", "*"}


def test_patterns_are_relative_to_the_base_urls_path() -> None:
    search = RateLimiter(1, 1)
    api = APIClient(base_url="https://example.com/api/v2/", rate_limits={"/search*": search})
    assert api.rate_limits.route("GET", "https://example.com/api/v2/search?q=1").limiter is search
    assert api.rate_limits.route("GET", "https://example.com/api/v2/users").limiter is None


def test_rate_limit_lock_is_the_star_bucket_and_is_not_given_twice() -> None:
    lock = RateLimiter(5, 1)
    api = APIClient(lock, base_url="https://h", rate_limits={"/search/*": RateLimiter(1, 1)})
    assert api.rate_limits.route("GET", "https://h/x").limiter is lock
    with pytest.raises(TypeError, match="rate_limit_lock"):
        APIClient(lock, base_url="https://h", rate_limits={"*": RateLimiter(1, 1)})


def test_each_bucket_has_its_own_limiter(server: FakeServer, make_client: MakeClient) -> None:
    server.add("/search/issues", Reply(json=[]))
    server.add("/repos/a/b", Reply(json={}))
    search, core = RateLimiter(1, 60), RateLimiter(100, 60)
    api = make_client(server, rate_limits={"/search/*": search, "*": core})
    api.get("/search/issues")
    with pytest.raises(RateExceededError):
        api.get("/search/issues", timeout=Timeouts(5, 5, 1))  # the search limit is spent...
    assert [api.get("/repos/a/b") for _ in range(3)] == [{}] * 3  # ...core is not


def test_a_403_on_search_pauses_search_calls_only(
    server: FakeServer, make_client: MakeClient, sleeps: Sleeps
) -> None:
    search_limited(server, now=wall_now(), reset_in=3600)
    search, core = RateLimiter(30, 60, clock=sleeps.clock), RateLimiter(5000, 3600)
    api = make_client(server, rate_limits={"/search/*": search, "*": core}, retries=0)
    with pytest.raises(Forbidden):
        api.get("/search/issues")
    with pytest.raises(RateExceededError):
        api.get("/search/issues")  # paused: nothing is sent
    assert [api.get("/repos/a/b") for _ in range(3)] == [{"name": "b"}] * 3  # core goes on
    assert [r.path for r in server.requests].count("/search/issues") == 1


def test_a_pause_goes_to_the_bucket_the_server_names(
    server: FakeServer, make_client: MakeClient
) -> None:
    headers = {"Retry-After": "3600", "X-RateLimit-Resource": "search"}
    server.add("/graphql", Reply(429, headers=headers))  # a route of "*" naming "search"
    server.add("/search/code", Reply(json=[]))
    server.add("/repos/a/b", Reply(json={}))
    search = Bucket(RateLimiter(30, 60), name="search")
    api = make_client(server, rate_limits={"/search/*": search, "*": RateLimiter(100, 1)})
    with pytest.raises(TooManyRequests):
        api.get("/graphql", retries=0)
    with pytest.raises(RateExceededError):
        api.get("/search/code")
    assert api.get("/repos/a/b") == {}


def test_a_shared_pause_is_written_into_the_routes_limiter_only(
    server: FakeServer, sleeps: Sleeps
) -> None:
    server.add("/search/issues", Reply(429, headers={"Retry-After": "30"}))
    search, core = RateLimiter(30, 60, clock=sleeps.clock), RateLimiter(100, 1)
    api = APIClient(
        base_url=server.url, rate_limits={"/search/*": search, "*": core}, retries=0,
        clock=sleeps.clock, sleep=sleeps,
    )  # fmt: skip
    with pytest.raises(TooManyRequests):
        api.get("/search/issues")
    with pytest.raises(RateExceededError):
        search.acquire(block=False)  # every user of the search limiter waits...
    core.acquire(block=False)  # ...the core limiter's users do not


def test_buckets_work_in_the_async_client(server: FakeServer, make_client: MakeClient) -> None:
    search_limited(server, now=wall_now(), reset_in=3600)
    api = make_client(server, rate_limits={"/search/*": RateLimiter(30, 60)}, retries=0)
    with pytest.raises(Forbidden):
        api.get("/search/issues")
    with pytest.raises(RateExceededError):
        api.get("/search/issues")
    assert api.get("/repos/a/b") == {"name": "b"}


def test_buckets_shared_through_redis_pause_every_process_search_only(
    server: FakeServer, redis_server: RedisServer
) -> None:
    key = uuid.uuid4().hex
    now = wall_now()
    search_limited(server, now=now, reset_in=30)

    def buckets() -> dict[str, Any]:  # each "process" has its own limiter objects
        return {
            "/search/*": RedisRateLimiter(redis_server.url, key=f"{key}-search", max_messages=30,
                                          every_seconds=60),
            "*": RedisRateLimiter(redis_server.url, key=f"{key}-core", max_messages=5000,
                                  every_seconds=3600),
        }  # fmt: skip

    first = APIClient(base_url=server.url, rate_limits=buckets(), retries=0)
    with pytest.raises(Forbidden):
        first.get("/search/issues")
    second = buckets()  # another process's view of the same keys
    with pytest.raises(RateExceededError):
        second["/search/*"].acquire(block=False)  # the search key is paused for all
    second["*"].acquire(block=False)  # the core key is not
    other = APIClient(base_url=server.url, rate_limits=second, retries=0)
    assert other.get("/repos/a/b") == {"name": "b"}
    with pytest.raises(RateExceededError):
        other.get("/search/issues", timeout=Timeouts(5, 5, 2))
    assert [r.path for r in server.requests].count("/search/issues") == 1


def wall_now() -> float:
    import time

    return time.time()
