"""The GitHub client of ``github.py`` on ``AsyncAPIClient``: many requests, one event loop.

The same API, token, ETag cache and quota handling; the methods are coroutines and the
collections are walked with ``async for``. ``report`` asks for a profile and two paginated
collections at once, over at most ``pool_maxsize`` connections.

    python examples/github_async.py                                    # the local fake
    GITHUB_TOKEN=... python examples/github_async.py --base-url https://api.github.com/ shazow
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import AsyncIterable, Mapping
from typing import Any, ClassVar

from github import GitHubAPI, Issue, Quota, Repo, User, _RateLimit, fake_github

from apiclient import AsyncAPIClient, AsyncPaginated, BearerToken, ETagCache, path_segment


class AsyncGitHubAPI(AsyncAPIClient):
    """``await AsyncGitHubAPI(token).user("shazow")``; anonymous when ``token`` is None."""

    BASE_URL = GitHubAPI.BASE_URL
    DEFAULT_HEADERS: ClassVar[Mapping[str, str]] = GitHubAPI.DEFAULT_HEADERS

    def __init__(self, token: str | None = None, **options: Any) -> None:
        options.setdefault("cache", ETagCache(maxsize=1000))
        super().__init__(auth=BearerToken(token) if token else None, **options)

    async def user(self, login: str) -> User:
        """A user's public profile."""
        return await self.get(f"/users/{path_segment(login)}", model=User)

    def repos(self, login: str, per_page: int = 100) -> AsyncPaginated[Repo]:
        """Every public repository of ``login``: ``async for repo in api.repos(login)``."""
        path = f"/users/{path_segment(login)}/repos"
        return self.paginate(path, params={"per_page": per_page}, model=Repo)

    def issues(self, owner: str, repo: str, state: str = "open") -> AsyncPaginated[Issue]:
        """Every issue of ``owner/repo`` in ``state`` (``open``, ``closed`` or ``all``)."""
        path = f"/repos/{path_segment(owner)}/{path_segment(repo)}/issues"
        return self.paginate(path, params={"state": state, "per_page": 100}, model=Issue)

    async def rate_limit(self) -> Quota:
        """The core quota left (this call itself is free)."""
        return (await self.get("/rate_limit", model=_RateLimit)).resources["core"]


async def collect(items: AsyncIterable[Any]) -> list[Any]:
    """Every item of an async collection, in order."""
    return [item async for item in items]


async def report(api: AsyncGitHubAPI, login: str, repo: str = "urllib3") -> None:
    """What the command line prints: three requests' worth of answers, fetched together."""
    profile, repos, issues = await asyncio.gather(
        api.user(login), collect(api.repos(login)), collect(api.issues(login, repo))
    )
    print(f"{login}: {profile.name}")
    top = sorted(repos, key=lambda r: r.stargazers_count, reverse=True)[:3]
    print(f"{len(repos)} repositories; most starred: {', '.join(r.name for r in top)}")
    print(f"{len(issues)} open issues in {login}/{repo}")
    print(f"quota left: {(await api.rate_limit()).remaining}")


async def run(base_url: str, token: str | None, login: str) -> None:
    async with AsyncGitHubAPI(token, base_url=base_url, pool_maxsize=4) as api:
        await report(api, login)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="GitHub, asynchronously (local fake by default)")
    parser.add_argument("login", nargs="?", default="shazow")
    parser.add_argument("--base-url", help="the real API (token in GITHUB_TOKEN, optional)")
    args = parser.parse_args(argv)
    if args.base_url:
        asyncio.run(run(args.base_url, os.environ.get("GITHUB_TOKEN"), args.login))
        return 0
    with fake_github() as server:
        asyncio.run(run(server.url, "demo-token", args.login))
        print(f"connections opened: {server.connections_opened}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
