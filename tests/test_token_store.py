"""One rotating OAuth 2 refresh token shared by many processes: one refresh for all of them.

Against the testing kit's real (oauthlib) authorization server over TLS, with a real
redis-server, and real worker processes started together.
"""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import redis

from apiclient import (
    APIClient,
    AsyncAPIClient,
    AuthError,
    FileTokenStore,
    OAuth2RefreshToken,
    RedisTokenStore,
)
from apiclient.testing import FakeServer
from apiclient.testing.oauth import AuthorizationServer, RegisteredClient, WallClock

from .redis_server import RedisServer

# A worker: one process of a fleet. It waits for "go" on stdin so that every worker starts
# with the same stale token at once, calls the API three times, prints what it saw.
WORKER = """
import json, sys, time
from apiclient import APIClient, FileTokenStore, OAuth2RefreshToken, RedisTokenStore
token_url, ca_file, base_url, kind, where, key, access, refresh = sys.argv[1:]
store = RedisTokenStore(where, key=key) if kind == "redis" else FileTokenStore(where)
auth = OAuth2RefreshToken(token_url, "app", "app-s3cret", access_token=access,
                          refresh_token=refresh, expires_at=time.time() - 60, store=store)
api = APIClient(base_url=base_url, ca_certs=ca_file, auth=auth)
sys.stdin.readline()
users = [api.get("/api/me")["user"] for _ in range(3)]
print(json.dumps({"users": users, "token": auth.token["access_token"]}))
"""


@pytest.fixture
def oauth(tls_server: FakeServer) -> AuthorizationServer:
    return AuthorizationServer(tls_server, [RegisteredClient("app", "app-s3cret")], WallClock())


def first_token(oauth: AuthorizationServer, ca_file: Path) -> dict[str, Any]:
    """A refreshable token, as the authorization code flow would have left it."""
    auth = OAuth2RefreshToken(oauth.token_url, "app", "app-s3cret", refresh_token="seed")
    oauth.store.refresh["seed"] = {"client_id": "app", "scopes": ["read"], "user": "alice"}
    APIClient(base_url=oauth.fake.url, ca_certs=str(ca_file), auth=auth).get("/api/me")
    oauth.store.token_requests.clear()
    assert auth.token is not None
    return auth.token


def run_fleet(
    oauth: AuthorizationServer, ca_file: Path, kind: str, where: str, count: int
) -> list[dict[str, Any]]:
    token = first_token(oauth, ca_file)
    key = f"token-{uuid.uuid4().hex}"
    args = [oauth.token_url, str(ca_file), oauth.fake.url, kind, where, key,
            token["access_token"], token["refresh_token"]]  # fmt: skip
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]
    for worker in workers:  # every worker has its stale token; let them all go at once
        assert worker.stdin is not None
        worker.stdin.write("go\n")
        worker.stdin.flush()
    results = []
    for worker in workers:
        out, _ = worker.communicate(timeout=90)
        assert worker.returncode == 0
        results.append(json.loads(out))
    return results


@pytest.mark.parametrize("kind", ["redis", "file"])
def test_eight_processes_share_one_refresh(
    oauth: AuthorizationServer, ca_file: Path, redis_server: RedisServer, tmp_path: Path,
    kind: str,
) -> None:  # fmt: skip
    where = redis_server.url if kind == "redis" else str(tmp_path / "token.json")
    results = run_fleet(oauth, ca_file, kind, where, 8)
    assert oauth.store.token_requests == ["refresh_token"]  # exactly one, not eight
    assert all(result["users"] == ["alice"] * 3 for result in results)
    assert len({result["token"] for result in results}) == 1


def test_a_process_with_a_spent_refresh_token_uses_the_stored_one(
    oauth: AuthorizationServer, ca_file: Path, redis_server: RedisServer
) -> None:
    token = first_token(oauth, ca_file)
    key = f"token-{uuid.uuid4().hex}"
    api_of = lambda auth: APIClient(base_url=oauth.fake.url, ca_certs=str(ca_file), auth=auth)  # noqa: E731
    first = OAuth2RefreshToken(oauth.token_url, "app", "app-s3cret",
                               refresh_token=token["refresh_token"],
                               store=RedisTokenStore(redis_server.url, key=key))  # fmt: skip
    assert api_of(first).get("/api/me")["user"] == "alice"  # rotated the refresh token
    late = OAuth2RefreshToken(oauth.token_url, "app", "app-s3cret",
                              refresh_token=token["refresh_token"],  # spent by now
                              store=RedisTokenStore(redis_server.url, key=key))  # fmt: skip
    assert api_of(late).get("/api/me")["user"] == "alice"
    assert oauth.store.token_requests == ["refresh_token"]


def test_after_a_401_the_stored_token_of_another_process_is_used(
    oauth: AuthorizationServer, ca_file: Path, redis_server: RedisServer
) -> None:
    token = first_token(oauth, ca_file)
    key = f"token-{uuid.uuid4().hex}"
    auths = [
        OAuth2RefreshToken(
            oauth.token_url,
            "app",
            "app-s3cret",
            access_token=token["access_token"],
            refresh_token=token["refresh_token"],
            store=RedisTokenStore(redis_server.url, key=key),
        )
        for _ in range(2)
    ]
    apis = [APIClient(base_url=oauth.fake.url, ca_certs=str(ca_file), auth=a) for a in auths]
    assert apis[0].get("/api/me")["user"] == "alice"
    assert apis[1].get("/api/me")["user"] == "alice"
    oauth.revoke_access_tokens()
    assert apis[0].get("/api/me")["user"] == "alice"  # 401: refreshed, saved
    assert apis[1].get("/api/me")["user"] == "alice"  # 401: found the stored token
    assert oauth.store.token_requests == ["refresh_token"]


def test_threads_with_their_own_auths_share_one_refresh_through_a_file(
    oauth: AuthorizationServer, ca_file: Path, tmp_path: Path
) -> None:
    token = first_token(oauth, ca_file)

    def call(_: int) -> str:
        auth = OAuth2RefreshToken(oauth.token_url, "app", "app-s3cret",
                                  access_token=token["access_token"],
                                  refresh_token=token["refresh_token"],
                                  expires_at=time.time() - 60,
                                  store=FileTokenStore(tmp_path / "token.json"))  # fmt: skip
        api = APIClient(base_url=oauth.fake.url, ca_certs=str(ca_file), auth=auth)
        return str(api.get("/api/me")["user"])

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(call, range(8))) == ["alice"] * 8
    assert oauth.store.token_requests == ["refresh_token"]
    assert (tmp_path / "token.json").stat().st_mode & 0o777 == 0o600


def test_async_clients_share_one_refresh_through_redis(
    oauth: AuthorizationServer, ca_file: Path, redis_server: RedisServer
) -> None:
    token = first_token(oauth, ca_file)
    key = f"token-{uuid.uuid4().hex}"

    async def main() -> list[Any]:
        stores = [RedisTokenStore(redis_server.url, key=key) for _ in range(4)]
        apis = [
            AsyncAPIClient(
                base_url=oauth.fake.url,
                ca_certs=str(ca_file),
                auth=OAuth2RefreshToken(
                    oauth.token_url,
                    "app",
                    "app-s3cret",
                    access_token=token["access_token"],
                    refresh_token=token["refresh_token"],
                    expires_at=time.time() - 60,
                    store=store,
                ),
            )
            for store in stores
        ]
        try:
            return await asyncio.gather(*(api.get("/api/me") for api in apis))
        finally:
            for api, store in zip(apis, stores, strict=True):
                await api.aclose()
                await store.aclose()

    assert [r["user"] for r in asyncio.run(main())] == ["alice"] * 4
    assert oauth.store.token_requests == ["refresh_token"]


def test_waiting_for_another_processs_refresh_is_bounded(
    oauth: AuthorizationServer, ca_file: Path, redis_server: RedisServer
) -> None:
    key = f"token-{uuid.uuid4().hex}"
    holder = RedisTokenStore(redis_server.url, key=key)
    assert holder.lock(1) is not None  # another process is refreshing, and takes its time
    auth = OAuth2RefreshToken(oauth.token_url, "app", "app-s3cret", refresh_token="r",
                              store=RedisTokenStore(redis_server.url, key=key),
                              refresh_wait=0.2)  # fmt: skip
    api = APIClient(base_url=oauth.fake.url, ca_certs=str(ca_file), auth=auth)
    with pytest.raises(AuthError, match="another process"):
        api.get("/api/me")
    assert oauth.store.token_requests == []


def test_a_lock_taken_over_cannot_save(redis_server: RedisServer) -> None:
    key = f"token-{uuid.uuid4().hex}"
    slow = RedisTokenStore(redis_server.url, key=key, lock_seconds=0.05)
    late_lock = slow.lock(1)
    assert late_lock is not None
    redis.Redis.from_url(redis_server.url).delete(f"{{{key}}}:lock")  # as if it expired
    other = RedisTokenStore(redis_server.url, key=key)
    new_lock = other.lock(1)
    assert new_lock is not None and new_lock.fence > late_lock.fence
    other.save({"access_token": "new"}, new_lock)
    with pytest.raises(AuthError, match="not saved"):
        slow.save({"access_token": "old"}, late_lock)
    assert other.load() == {"access_token": "new"}


def test_the_stored_token_is_never_shown(
    oauth: AuthorizationServer, ca_file: Path, redis_server: RedisServer,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    first_token(oauth, ca_file)
    store = RedisTokenStore(f"redis://:pw-canary@127.0.0.1:{redis_server.port}/0", key="k")
    lock = store.lock(1)
    assert lock is not None
    with caplog.at_level(logging.DEBUG):
        store.save({"access_token": "tok-canary", "refresh_token": "ref-canary"}, lock)
        store.unlock(lock)
    shown = repr(store) + repr(lock) + caplog.text
    assert not any(canary in shown for canary in ("tok-canary", "ref-canary", "pw-canary"))
