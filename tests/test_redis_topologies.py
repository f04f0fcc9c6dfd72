"""RedisRateLimiter on every topology users run: Cluster, Sentinel, TLS — real servers."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import redis.asyncio
import redis.asyncio.cluster
import redis.asyncio.sentinel
import redis.cluster
import redis.sentinel
import trustme

from apiclient import (
    RateExceededError,
    RateLimiterMisconfigured,
    RateLimiterUnavailable,
    RedisRateLimiter,
)

from .redis_server import RedisServer
from .redis_topologies import SentinelSetup, redis_cluster, tls_redis


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[RedisServer]]:
    with redis_cluster(tmp_path_factory.mktemp("cluster")) as nodes:
        yield nodes


@pytest.fixture
def sentinel(tmp_path: Path) -> Iterator[SentinelSetup]:
    setup = SentinelSetup(tmp_path).start()
    yield setup
    setup.stop()


def keys_not_on(node: RedisServer, nodes: list[RedisServer]) -> str:
    """A limiter key whose slot another node serves (so a plain client would get MOVED)."""
    client = redis.cluster.RedisCluster(host="127.0.0.1", port=nodes[0].port)
    try:
        while True:
            key = f"test-{uuid.uuid4().hex}"
            owner = client.get_node_from_key(f"{{{key}}}:grants")
            if owner.port != node.port:
                return key
    finally:
        client.close()


def take_all(limiter: RedisRateLimiter, count: int) -> None:
    for _ in range(count):
        limiter.acquire(block=False)
    with pytest.raises(RateExceededError):
        limiter.acquire(block=False)


def test_a_url_to_any_cluster_node_finds_the_cluster(cluster: list[RedisServer]) -> None:
    key = keys_not_on(cluster[0], cluster)
    limiter = RedisRateLimiter(cluster[0].url, key=key, max_messages=3, every_seconds=60)
    take_all(limiter, 3)  # a MOVED reply switched the limiter to cluster mode
    other = RedisRateLimiter(cluster[1].url, key=key, max_messages=3, every_seconds=60,
                             cluster=True)  # fmt: skip
    with pytest.raises(RateExceededError):
        other.acquire(block=False)  # one limit, whichever node the URL names


def test_cluster_false_says_what_is_wrong(cluster: list[RedisServer]) -> None:
    key = keys_not_on(cluster[0], cluster)
    limiter = RedisRateLimiter(redis.Redis(port=cluster[0].port), key=key)
    with pytest.raises(RateLimiterMisconfigured, match="Cluster node"):
        limiter.acquire()


def test_a_redis_cluster_client(cluster: list[RedisServer]) -> None:
    client = redis.cluster.RedisCluster(host="127.0.0.1", port=cluster[2].port)
    limiter = RedisRateLimiter(client, key=f"test-{uuid.uuid4().hex}", max_messages=2,
                               every_seconds=60)  # fmt: skip
    take_all(limiter, 2)
    limiter.pause(1)
    client.close()


def test_an_asyncio_redis_cluster_client(cluster: list[RedisServer]) -> None:
    async def main() -> None:
        client = redis.asyncio.cluster.RedisCluster(host="127.0.0.1", port=cluster[1].port)
        limiter = RedisRateLimiter(client, key=f"test-{uuid.uuid4().hex}", max_messages=2,
                                   every_seconds=60)  # fmt: skip
        assert await limiter.acquire_async(block=False)
        assert await limiter.acquire_async(block=False)
        with pytest.raises(RateExceededError):
            await limiter.acquire_async(block=False)
        await limiter.pause_async(1)
        await client.aclose()

    asyncio.run(main())


def test_an_asyncio_caller_from_a_cluster_url(cluster: list[RedisServer]) -> None:
    key = keys_not_on(cluster[0], cluster)
    limiter = RedisRateLimiter(cluster[0].url, key=key, max_messages=1, every_seconds=60)

    async def main() -> None:
        assert await limiter.acquire_async(block=False)
        with pytest.raises(RateExceededError):
            await limiter.acquire_async(block=False)
        await limiter.aclose()

    asyncio.run(main())


def test_a_sentinel_url_follows_a_failover(sentinel: SentinelSetup) -> None:
    key = f"test-{uuid.uuid4().hex}"
    limiter = RedisRateLimiter(sentinel.url, key=key, max_messages=5, every_seconds=60)
    for _ in range(2):
        limiter.acquire(block=False)
    with redis.Redis(port=sentinel.master.port) as master:
        assert master.wait(1, 10_000) == 1  # the replica has the two grants
    sentinel.fail_over()
    granted, reconnects = 0, 0
    while True:  # the first call after the switch may find the old master's socket gone
        try:
            limiter.acquire(block=False)
            granted += 1
        except RateExceededError:
            break
        except RateLimiterUnavailable:
            reconnects += 1
            assert reconnects <= 2
    assert granted == 3  # the promoted replica had the two grants: 5 in all, not 7
    with redis.Redis(port=sentinel.replica.port) as promoted:
        assert promoted.execute_command("ROLE")[0] == b"master"


def test_a_sentinel_object_and_its_asyncio_flavour(sentinel: SentinelSetup) -> None:
    key = f"test-{uuid.uuid4().hex}"
    sync_sentinel = redis.sentinel.Sentinel([("127.0.0.1", sentinel.sentinel.port)])
    limiter = RedisRateLimiter(sync_sentinel, key=key, service_name="mymaster",
                               max_messages=2, every_seconds=60)  # fmt: skip
    assert limiter.acquire(block=False)

    async def main() -> None:
        async_sentinel = redis.asyncio.sentinel.Sentinel([("127.0.0.1", sentinel.sentinel.port)])
        same = RedisRateLimiter(async_sentinel, key=key, service_name="mymaster",
                                max_messages=2, every_seconds=60)  # fmt: skip
        assert await same.acquire_async(block=False)
        with pytest.raises(RateExceededError):
            await same.acquire_async(block=False)
        await same.aclose()
        for watcher in async_sentinel.sentinels:
            await watcher.aclose()
        from_url = RedisRateLimiter(sentinel.url, key=key, max_messages=2, every_seconds=60)
        with pytest.raises(RateExceededError):
            await from_url.acquire_async(block=False)
        await from_url.aclose()

    asyncio.run(main())
    with pytest.raises(ValueError, match="service_name"):
        RedisRateLimiter(sync_sentinel, key=key)
    for watcher in sync_sentinel.sentinels:
        watcher.close()


def test_a_malformed_sentinel_url_is_refused_at_once() -> None:
    with pytest.raises(ValueError, match="mymaster"):
        RedisRateLimiter("redis+sentinel://127.0.0.1:26379")


def test_rediss_with_a_private_ca(tmp_path: Path, ca: trustme.CA) -> None:
    server = tls_redis(tmp_path, ca).start()
    try:
        url = f"rediss://127.0.0.1:{server.port}/0?ssl_ca_certs={server.ca_file}"  # type: ignore[attr-defined]
        limiter = RedisRateLimiter(url, key=f"test-{uuid.uuid4().hex}", max_messages=1)
        assert limiter.acquire(block=False)
        with pytest.raises(RateExceededError):
            limiter.acquire(block=False)
        untrusted = RedisRateLimiter(f"rediss://127.0.0.1:{server.port}/0", timeout=2)
        with pytest.raises(RateLimiterMisconfigured, match="not trusted"):
            untrusted.acquire()  # a certificate no trusted CA signed: refused, not ignored
        limiter.close()
        untrusted.close()
    finally:
        server.stop()
