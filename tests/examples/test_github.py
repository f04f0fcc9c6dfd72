"""The GitHub example: Link pagination, bearer token, ETags, and pausing at the quota."""

from __future__ import annotations

import pytest
from github import ISSUES, REPOS, GitHubAPI, Issue, Repo, User, github_routes, main

from apiclient import RateExceededError
from apiclient.testing import FakeServer


class FakeTime:
    """One clock for the fake server and the client; the client's sleeps advance it."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.25
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def serve(fake_server: FakeServer, **quota: object) -> None:
    fake_server.add_routes(github_routes(**quota))  # type: ignore[arg-type]


def test_repos_follow_link_headers_with_the_token_on_every_page(fake_server: FakeServer) -> None:
    serve(fake_server)
    api = GitHubAPI("ghp_secret", base_url=fake_server.url)
    assert list(api.repos("shazow")) == [Repo(**repo) for repo in REPOS]
    assert [r.args.get("page") for r in fake_server.requests] == [None, "2", "3"]
    assert {r.headers["Authorization"] for r in fake_server.requests} == {"Bearer ghp_secret"}
    assert {r.headers["X-GitHub-Api-Version"] for r in fake_server.requests} == {"2022-11-28"}
    assert list(api.issues("shazow", "urllib3")) == [Issue(**issue) for issue in ISSUES]


def test_an_unchanged_resource_comes_from_the_etag_cache_and_costs_no_quota(
    fake_server: FakeServer,
) -> None:
    serve(fake_server)
    api = GitHubAPI("t", base_url=fake_server.url)
    first = api.user("shazow")
    again = api.user("shazow")
    assert again == first == User("shazow", "Andrey Petrov")
    assert api.cache is not None and api.cache.hits == 1
    assert fake_server.requests[1].headers["If-None-Match"].startswith('"')
    assert api.rate_limit().remaining == 59  # the 304 was not counted


def test_at_the_end_of_the_quota_the_client_pauses_until_the_reset_instead_of_failing(
    fake_server: FakeServer,
) -> None:
    time = FakeTime()
    serve(fake_server, limit=2, window=30, clock=time)
    api = GitHubAPI("t", base_url=fake_server.url, clock=time, sleep=time.sleep)
    assert len(list(api.repos("shazow"))) == len(REPOS)  # 3 requests against a quota of 2
    assert all(request.path == "/users/shazow/repos" for request in fake_server.requests)
    assert len(fake_server.requests) == 3  # no 403 was ever received: nothing to repeat
    assert len(time.slept) == 1 and 29 <= time.slept[0] <= 31


def test_the_command_line_runs_against_the_fake(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    out = capsys.readouterr().out
    assert "250 repositories; most starred: project-250, project-249, project-248" in out
    assert "served from the ETag cache (1 hit)" in out


def test_base_url_points_the_command_line_at_another_server(
    fake_server: FakeServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    serve(fake_server)
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_env")
    assert main(["--base-url", fake_server.url]) == 0
    assert "shazow: Andrey Petrov" in capsys.readouterr().out
    assert fake_server.requests[0].headers["Authorization"] == "Bearer ghp_env"


def test_a_reset_beyond_the_longest_wait_fails_fast_with_the_time_to_wait(
    fake_server: FakeServer,
) -> None:
    time = FakeTime()
    serve(fake_server, limit=1, window=3600, clock=time)
    api = GitHubAPI("t", base_url=fake_server.url, clock=time, sleep=time.sleep)
    api.user("shazow")
    with pytest.raises(RateExceededError) as raised:
        api.user("shazow")
    assert raised.value.retry_after is not None and raised.value.retry_after > 3500
    assert len(fake_server.requests) == 1 and time.slept == []
