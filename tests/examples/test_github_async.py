"""The async GitHub example: the same client behaviour, with several requests in flight."""

from __future__ import annotations

import asyncio

import pytest
from github import ISSUES, REPOS, Issue, Repo, User, github_routes
from github_async import AsyncGitHubAPI, collect, main

from apiclient.testing import FakeServer

from .test_github import FakeTime, serve


def test_collections_and_a_profile_fetched_together_share_the_pool(
    fake_server: FakeServer,
) -> None:
    serve(fake_server)

    async def scenario() -> tuple[object, list[object], list[object]]:
        async with AsyncGitHubAPI("ghp_secret", base_url=fake_server.url, pool_maxsize=2) as api:
            return await asyncio.gather(  # type: ignore[no-any-return]
                api.user("shazow"),
                collect(api.repos("shazow")),
                collect(api.issues("shazow", "urllib3")),
            )

    profile, repos, issues = asyncio.run(scenario())
    assert profile == User("shazow", "Andrey Petrov")
    assert repos == [Repo(**r) for r in REPOS] and issues == [Issue(**i) for i in ISSUES]
    assert {r.headers["Authorization"] for r in fake_server.requests} == {"Bearer ghp_secret"}
    assert 1 <= fake_server.connections_opened <= 2


def test_at_the_end_of_the_quota_the_async_client_pauses_until_the_reset(
    fake_server: FakeServer,
) -> None:
    time = FakeTime()
    fake_server.add_routes(github_routes(limit=2, window=30, clock=time))

    async def sleep(seconds: float) -> None:
        time.sleep(seconds)

    async def scenario() -> list[object]:
        async with AsyncGitHubAPI("t", base_url=fake_server.url, clock=time, sleep=sleep) as api:
            return await collect(api.repos("shazow"))

    assert len(asyncio.run(scenario())) == len(REPOS)  # 3 requests against a quota of 2
    assert len(fake_server.requests) == 3  # no 403 was ever received: nothing to repeat
    assert len(time.slept) == 1 and 29 <= time.slept[0] <= 31


def test_the_async_command_line_runs_against_the_fake(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "250 repositories; most starred: project-250, project-249, project-248" in out
    assert "42 open issues in shazow/urllib3" in out
