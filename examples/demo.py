"""``make demo``: the example clients against their fakes, as a short story. No network.

Every server here is a local fake on 127.0.0.1 built with ``apiclient.testing``: GitHub,
a flaky service, an OAuth 2 protected API, Klout and the Facebook Graph API. The demo
pages through a few hundred items under a rate limit, rides out 503s and a 429, refreshes
an expired OAuth token, shows typed errors, and ends with what it cost on the wire.
"""

from __future__ import annotations

import logging
import re
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from facebook import GraphAPI, GraphAPIError, fake_graph
from github import REPOS, GitHubAPI, fake_github
from klout import KloutAPI, fake_klout
from notes_oauth import TokenFile, fake_notes
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from apiclient import APIClient, ConnectError, NotFound, RateLimiter, Timeout
from apiclient.testing import FakeServer, Reply, flaky

console = Console(highlight=False)
LOCAL_ORIGIN = re.compile(r"https?://127\.0\.0\.1:\d+")


class Tally(logging.Handler):
    """Counts what the clients report at INFO (retries, server-requested pauses) and shows it."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.retries = 0
        self.server_pauses = 0
        self.paused_seconds = 0.0

    def emit(self, record: logging.LogRecord) -> None:
        if "retry %d of %d" in str(record.msg):
            self.retries += 1
        elif "rate limit (all callers wait)" in str(record.msg):
            self.server_pauses += 1
            seconds = record.args[2] if isinstance(record.args, tuple) else 0.0
            self.paused_seconds += seconds if isinstance(seconds, float) else 0.0
        line = LOCAL_ORIGIN.sub("", record.getMessage())  # the fakes' address is noise here
        console.print(f"   [dim]log: {line}[/dim]", overflow="ellipsis", no_wrap=True)


class LimiterWaits:
    """The sleep a ``RateLimiter`` uses, counted: how often and how long callers queued."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0
        self._lock = threading.Lock()

    def __call__(self, seconds: float) -> None:
        with self._lock:
            self.count += 1
            self.seconds += seconds
        time.sleep(seconds)


def local(error: Exception) -> str:
    """An error's text without the fake servers' address."""
    return LOCAL_ORIGIN.sub("", str(error))


def chapter(number: int, title: str) -> None:
    console.print(f"\n[bold]{number}. {title}[/bold]")


def fake_flaky_service() -> FakeServer:
    return FakeServer(
        {
            "GET /report": flaky(Reply(json={"status": "ready"}), failures=2),
            "GET /export": [Reply(429, headers={"Retry-After": "1"}), Reply(json={"rows": 1200})],
            "GET /slow": Reply(hang=True),
        }
    )


def github_story(server: FakeServer, waits: LimiterWaits) -> None:
    chapter(1, f"GitHub: {len(REPOS)} repositories, 10 a page, under a 12-per-second RateLimiter")
    console.print("   The fake GitHub allows 20 requests per 3 seconds; the client reads")
    console.print("   X-RateLimit-Remaining and waits for the reset instead of hitting 403.")
    limiter = RateLimiter(max_messages=12, every_seconds=1, sleep=waits)
    with GitHubAPI("ghp-demo-token", base_url=server.url, rate_limit_lock=limiter) as api:
        columns = (
            TextColumn("   repos"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=console) as progress:
            task = progress.add_task("repos", total=len(REPOS))
            for _repo in api.repos("shazow", per_page=10):
                progress.advance(task)
        api.user("shazow")
        api.user("shazow")
        hits = api.cache.hits if api.cache is not None else 0
        console.print(f"   profile asked twice: the second was a 304 from the ETag cache ({hits})")


def faults_story(server: FakeServer) -> None:
    chapter(2, "A flaky service: two 503s, then a 429 with Retry-After: 1")
    with APIClient(base_url=server.url) as api:
        console.print(f"   /report -> {api.get('/report')}  (GET is idempotent: retried)")
        started = time.monotonic()
        rows = api.get("/export")["rows"]
        console.print(f"   /export -> {rows} rows after waiting {time.monotonic() - started:.1f}s")


def oauth_story(directory: Path, servers: list[FakeServer]) -> None:
    chapter(3, "OAuth 2: the access token expires; the client refreshes it once, by itself")
    tokens = TokenFile(directory / "token.json")
    with fake_notes(directory) as notes:
        servers.append(notes.server)
        first = notes.authorize(tokens)
        with notes.connect(tokens) as api:
            console.print(f"   notes: {[note['text'] for note in api.notes()]}")
            notes.clock.now += 600
            console.print("   ten minutes later (the token lived five):")
            added = api.add_note("written with a refreshed token")
            console.print(f"   added note {added['id']}: {added['text']!r}")
        rotated = tokens.load()["refresh_token"] != first["refresh_token"]
        console.print(f"   rotated refresh token saved before use: {rotated}")
        console.print(f"   token requests: {notes.oauth.store.token_requests}")


def klout_and_graph_story(klout: FakeServer, graph: FakeServer) -> None:
    chapter(4, "The seed's examples: Klout (shared secret) and the Facebook Graph API")
    with KloutAPI("demo-key", base_url=klout.url + "1/") as api:
        scores = api.score("shazow", "ada", "grace", "linus", "guido", "barbara")
        top = max(scores, key=scores.__getitem__)
        console.print(f"   Klout: {len(scores)} scores in 2 calls (5 users per call); top: {top}")
    with GraphAPI("demo-token", base_url=graph.url) as api:
        founders = api.get_objects(["4", "5", "6"], fields=["name"])
        console.print(f"   Graph: ids=4,5,6 in one request -> {len(founders)} nodes")
        friends = sum(1 for _ in api.connection("me", "friends"))
        console.print(f"   Graph: {friends} friends, following paging.next")
        try:
            api.get_object("no-such-node")
        except GraphAPIError as error:
            console.print(f"   Graph error object -> {type(error).__name__}(code={error.code})")


def errors_story(flaky_server: FakeServer) -> None:
    chapter(5, "Typed errors, never a hang")
    with APIClient(base_url=flaky_server.url, retries=0) as api:
        try:
            api.get("/missing")
        except NotFound as error:
            console.print(f"   NotFound: {local(error)}")
        try:
            api.get("/slow", timeout=0.5)  # the fake never answers
        except Timeout as error:
            console.print(f"   {type(error).__name__}: {local(error)}")
    with FakeServer() as gone:
        dead_url = gone.url
    try:
        APIClient(base_url=dead_url, retries=0).get("/x")
    except ConnectError as error:
        console.print(f"   ConnectError: {local(error)}")


@contextmanager
def started(*servers: FakeServer) -> Iterator[tuple[FakeServer, ...]]:
    with ExitStack() as stack:
        yield tuple(stack.enter_context(server) for server in servers)


def summary(servers: list[FakeServer], tally: Tally, waits: LimiterWaits, elapsed: float) -> None:
    table = Table(title="What it cost on the wire", title_justify="left")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("HTTP requests served", str(sum(len(s.requests) for s in servers)))
    table.add_row("TCP connections opened", str(sum(s.connections_opened for s in servers)))
    table.add_row("retries", str(tally.retries))
    table.add_row("rate limiter waits", f"{waits.count} ({waits.seconds:.1f}s)")
    table.add_row("server-requested pauses", f"{tally.server_pauses} ({tally.paused_seconds:.1f}s)")
    table.add_row("elapsed", f"{elapsed:.1f}s")
    console.print()
    console.print(table)


def main() -> int:
    begun = time.monotonic()
    tally, waits = Tally(), LimiterWaits()
    logger = logging.getLogger("apiclient")
    logger.addHandler(tally)
    logger.setLevel(logging.INFO)
    console.print("[bold]apiclient demo[/bold]: every server is a local fake on 127.0.0.1")
    github = fake_github(limit=20, window=3)
    servers = [github, fake_flaky_service(), fake_klout(), fake_graph()]
    try:
        with started(*servers), tempfile.TemporaryDirectory() as directory:
            github_story(github, waits)
            faults_story(servers[1])
            oauth_story(Path(directory), servers)
            klout_and_graph_story(servers[2], servers[3])
            errors_story(servers[1])
    finally:
        logger.removeHandler(tally)
    summary(servers, tally, waits, time.monotonic() - begun)
    return 0


if __name__ == "__main__":
    sys.exit(main())
