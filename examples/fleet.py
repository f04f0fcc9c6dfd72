"""A fleet of worker processes as one client: a shared rate limit and one OAuth 2 token, in Redis.

Four workers call the Notes API (``notes_oauth.py``'s fake) at once. They share
``RedisRateLimiter`` (20 requests per second between them, by Redis' clock) and a
``RedisTokenStore``: when the access token expires, one worker refreshes the rotating
refresh token and the others use what it saved, instead of each spending the same refresh
token (after which all but one would fail with ``invalid_grant`` for good).

Run: ``python examples/fleet.py`` (starts a private redis-server if ``REDIS_URL`` is not
set; Debian's ``redis-server`` package). Worker mode (used by the script itself):
``python examples/fleet.py --worker BASE_URL TOKEN_URL CA_FILE REDIS_URL KEY``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from notes_oauth import CLIENT_ID, CLIENT_SECRET, NotesAPI, TokenFile, fake_notes

from apiclient import OAuth2RefreshToken, RedisRateLimiter, RedisTokenStore

WORKERS, LISTINGS_EACH, PER_SECOND = 4, 3, 20


def worker(base_url: str, token_url: str, ca_file: str, redis_url: str, key: str) -> None:
    """One process of the fleet: its own client, the fleet's limit and token."""
    store = RedisTokenStore(redis_url, key=f"{key}-token")
    token = store.load() or {}
    auth = OAuth2RefreshToken(
        token_url, CLIENT_ID, CLIENT_SECRET,
        access_token=token.get("access_token"), refresh_token=token.get("refresh_token"),
        store=store,
    )  # fmt: skip
    limiter = RedisRateLimiter(redis_url, key=f"{key}-limit", max_messages=PER_SECOND)
    with NotesAPI(base_url=base_url, ca_certs=ca_file, auth=auth, rate_limit_lock=limiter) as api:
        for _ in range(LISTINGS_EACH):
            list(api.notes())
    print(f"worker {os.getpid()}: {LISTINGS_EACH} listings, {auth.refresh_count} refreshes")


@contextmanager
def redis_url(directory: Path) -> Iterator[str]:
    """``REDIS_URL``, or a private redis-server on a free loopback port."""
    if "REDIS_URL" in os.environ:
        yield os.environ["REDIS_URL"]
        return
    binary = shutil.which("redis-server")
    if binary is None:
        sys.exit("needs Redis: set REDIS_URL, or install redis-server (Debian: redis-server)")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
               "--dir", str(directory)]  # fmt: skip
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as server:
        assert server.stdout is not None
        for line in server.stdout:  # the server says when it is ready
            if "Ready to accept connections" in line:
                break
        try:
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            server.terminate()


def run_fleet(directory: Path) -> int:
    """Authorize once, store the token for the fleet, expire it, let four workers loose."""
    with fake_notes(directory) as fake, redis_url(directory) as url:
        key = f"notes-{os.getpid()}"
        token = fake.authorize(TokenFile(directory / "token.json"))
        store = RedisTokenStore(url, key=f"{key}-token")
        lock = store.lock(timeout=5)
        assert lock is not None
        store.save(token, lock)
        store.unlock(lock)
        fake.clock.now += 600  # the server expires the access token: the fleet must refresh
        started = time.monotonic()
        args = [fake.server.url, fake.oauth.token_url, fake.ca_file, url, key]
        workers = [
            subprocess.Popen([sys.executable, __file__, "--worker", *args])
            for _ in range(WORKERS)
        ]
        failed = sum(process.wait() != 0 for process in workers)
        listings = len(fake.server.requests_to("/api/notes"))
        print(f"{WORKERS} workers, {listings} requests in {time.monotonic() - started:.1f}s "
              f"(at most {PER_SECOND}/s between them)")  # fmt: skip
        print("token requests the server saw:", fake.oauth.store.token_requests)
        store.close()
    return 1 if failed else 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["--worker"]:
        worker(*argv[1:6])
        return 0
    with tempfile.TemporaryDirectory() as directory:
        return run_fleet(Path(directory))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
