"""A GitHub REST API client: the features a busy API asks of a client, in a few lines.

- typed answers: each call returns a dataclass (``User``, ``Repo``, ``Issue``, ``Quota``)
  checked against the body, so a field GitHub renames is an error that names it;
- a bearer token (``GITHUB_TOKEN``), sent only to api.github.com;
- ``Link: <...>; rel="next"`` pagination (``per_page=100``);
- ``X-RateLimit-Remaining`` / ``-Reset`` read on every response: when the quota runs out,
  the client pauses every caller until the reset instead of collecting 403s;
- conditional requests: ETags are remembered and sent back as ``If-None-Match``; a
  ``304 Not Modified`` returns the cached body and does not count against the quota.

``github_routes()`` fakes the endpoints used here, as GitHub documents them, with the
testing kit.

    python examples/github.py                                    # against the local fake
    GITHUB_TOKEN=... python examples/github.py --base-url https://api.github.com/ shazow
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from apiclient import APIClient, BearerToken, ETagCache, Paginated, path_segment
from apiclient.testing import (
    FakeServer,
    Reply,
    ReplySource,
    conditional,
    paged,
    rate_limited,
)


@dataclass
class User:
    """A user's public profile (the fields used here; GitHub sends many more)."""

    login: str
    name: str | None = None


@dataclass
class Repo:
    """A repository."""

    id: int
    name: str
    full_name: str
    stargazers_count: int


@dataclass
class Issue:
    """An issue (or pull request: GitHub lists both)."""

    number: int
    title: str
    state: str


@dataclass
class Quota:
    """One rate-limit resource: ``limit``, ``remaining``, ``used``, ``reset`` (epoch seconds)."""

    limit: int
    remaining: int
    used: int
    reset: int


@dataclass
class _RateLimit:
    resources: dict[str, Quota]


class GitHubAPI(APIClient):
    """``GitHubAPI(token).repos("shazow")``; anonymous when ``token`` is None."""

    BASE_URL = "https://api.github.com/"
    DEFAULT_HEADERS: ClassVar[Mapping[str, str]] = {
        "Accept": "application/vnd.github+json",
        "X-GitHub-Api-Version": "2022-11-28",
    }

    def __init__(self, token: str | None = None, **options: Any) -> None:
        options.setdefault("cache", ETagCache(maxsize=1000))
        super().__init__(auth=BearerToken(token) if token else None, **options)

    def user(self, login: str) -> User:
        """A user's public profile."""
        return self.get(f"/users/{path_segment(login)}", model=User)

    def repos(self, login: str, per_page: int = 100) -> Paginated[Repo]:
        """Every public repository of ``login``, ``per_page`` per request (100 at most)."""
        path = f"/users/{path_segment(login)}/repos"
        return self.paginate(path, params={"per_page": per_page}, model=Repo)

    def issues(self, owner: str, repo: str, state: str = "open") -> Paginated[Issue]:
        """Every issue of ``owner/repo`` in ``state`` (``open``, ``closed`` or ``all``)."""
        path = f"/repos/{path_segment(owner)}/{path_segment(repo)}/issues"
        return self.paginate(path, params={"state": state, "per_page": 100}, model=Issue)

    def rate_limit(self) -> Quota:
        """The core quota left (this call itself is free)."""
        return self.get("/rate_limit", model=_RateLimit).resources["core"]


# -- the fake GitHub, built with apiclient.testing -----------------------------------------

REPOS = [
    {"id": n, "name": f"project-{n}", "full_name": f"shazow/project-{n}", "stargazers_count": n * 7}
    for n in range(1, 251)
]
ISSUES = [{"number": n, "title": f"Issue {n}", "state": "open"} for n in range(1, 43)]


def github_routes(
    limit: int = 60, window: float = 3600.0, clock: Callable[[], float] = time.time
) -> dict[str, ReplySource]:
    """Users, repos and issues under one quota of ``limit`` calls per ``window`` seconds.

    Replies carry ETags (304 when unchanged, not counted) and ``X-RateLimit-*`` headers;
    past the quota GitHub answers 403.
    """
    quota = rate_limited(
        conditional(Reply(json={"login": "shazow", "name": "Andrey Petrov"})),
        limit=limit,
        window=window,
        status=403,
        clock=clock,
    )
    return {
        "GET /users/shazow": quota,
        "GET /users/shazow/repos": quota.share(conditional(paged(REPOS, per_page=30))),
        "GET /repos/shazow/urllib3/issues": quota.share(conditional(paged(ISSUES, per_page=30))),
        "GET /rate_limit": lambda request: Reply(json={"resources": {"core": quota.quota()}}),
    }


def fake_github(**quota: Any) -> FakeServer:
    """A fake GitHub API (not started)."""
    return FakeServer(github_routes(**quota))


def report(api: GitHubAPI, login: str) -> None:
    """What the command line prints."""
    print(f"{login}: {api.user(login).name}")
    repos = list(api.repos(login))
    top = sorted(repos, key=lambda repo: repo.stargazers_count, reverse=True)[:3]
    print(f"{len(repos)} repositories; most starred: {', '.join(r.name for r in top)}")
    api.user(login)  # asked again: a conditional request, answered 304 from the cache
    cache_hits = api.cache.hits if api.cache else 0
    print(f"profile fetched again: served from the ETag cache ({cache_hits} hit)")
    print(f"quota left: {api.rate_limit().remaining}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="GitHub repositories (local fake by default)")
    parser.add_argument("login", nargs="?", default="shazow")
    parser.add_argument("--base-url", help="the real API (token in GITHUB_TOKEN, optional)")
    args = parser.parse_args(argv)
    if args.base_url:
        with GitHubAPI(os.environ.get("GITHUB_TOKEN"), base_url=args.base_url) as api:
            report(api, args.login)
        return 0
    with fake_github() as server, GitHubAPI("demo-token", base_url=server.url) as api:
        report(api, args.login)
    return 0


if __name__ == "__main__":
    sys.exit(main())
