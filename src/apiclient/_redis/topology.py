"""Where a shared store lives: one Redis, a Cluster or a Sentinel-watched master, by URL or client.

``RedisLink`` takes what a user hands a Redis-backed part (a URL, a ``redis.Redis``, a
``RedisCluster``, a ``Sentinel`` and its service name, or their asyncio flavours) and gives
back a sync client, or an asyncio client for the running event loop (an asyncio client
cannot outlive its loop, so each loop gets its own). URLs:

- ``redis://host:port/db``, ``rediss://...`` (TLS; ``?ssl_ca_certs=...``), ``unix://...``
- the same with ``cluster=True`` for a Redis Cluster (any node's address); with
  ``cluster=None`` a standalone URL that turns out to be a Cluster node (``MOVED``) switches
  to cluster mode by itself
- ``redis+sentinel://[:password@]host:port[,host:port...]/service_name[/db]`` (and
  ``rediss+sentinel://``): the master Sentinel names, found again after a failover
"""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit


def redis_module() -> Any:
    """redis-py, imported when first needed (it is an extra)."""
    try:
        import redis
        import redis.asyncio
        import redis.asyncio.cluster
        import redis.asyncio.retry
        import redis.asyncio.sentinel
        import redis.backoff
        import redis.cluster
        import redis.retry
        import redis.sentinel
    except ImportError as exc:  # pragma: no cover - exercised only without the extra
        raise ImportError("this part needs redis-py: pip install 'apiclient[redis]'") from exc
    return redis


@dataclass(frozen=True)
class SentinelURL:
    """A parsed ``redis+sentinel://`` URL."""

    sentinels: tuple[tuple[str, int], ...]
    service_name: str
    db: int
    username: str | None
    password: str | None
    tls: bool

    @classmethod
    def parse(cls, url: str) -> SentinelURL:
        parts = urlsplit(url)
        userinfo, _, hosts = parts.netloc.rpartition("@")
        username, _, password = userinfo.partition(":")
        path = [p for p in parts.path.split("/") if p]
        if not hosts or not path:
            raise ValueError(
                "a Sentinel URL names its sentinels and the service: "
                "redis+sentinel://host:26379[,host:port...]/mymaster[/db]"
            )
        sentinels = tuple(_host_port(h) for h in hosts.split(","))
        db = int(path[1]) if len(path) > 1 else int(parse_qs(parts.query).get("db", ["0"])[0])
        return cls(
            sentinels,
            unquote(path[0]),
            db,
            unquote(username) or None,
            unquote(password) or None,
            parts.scheme.startswith("rediss"),
        )


def _host_port(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":") if ":" in text else (text, "", "26379")
    return host.strip("[]"), int(port)


def is_sentinel_url(url: str) -> bool:
    return url.split("://", 1)[0] in ("redis+sentinel", "rediss+sentinel")


class RedisLink:
    """The sync and asyncio Redis clients of one shared store (see the module docstring).

    Args:
        target: a URL, or a redis-py client (sync or asyncio, standalone, cluster or a
            ``Sentinel`` with ``service_name``). From a URL both flavours work; a client
            supports its own flavour only.
        timeout: seconds to connect, for the clients made here (every command is bounded
            by its own deadline anyway, see ``apiclient._redis.scripts``).
        cluster: True for a Redis Cluster URL; None: find out (``MOVED`` switches).
        service_name: the master's name, with a ``Sentinel`` object.
    """

    def __init__(
        self,
        target: Any,
        *,
        timeout: float,
        cluster: bool | None = None,
        service_name: str | None = None,
    ) -> None:
        self.timeout = timeout
        self.url: str | None = None
        self.cluster = cluster
        self._sync: Any = None
        self._own_sync = False  # a bounded copy of a client given: ours to close
        self._given_async: Any = None
        self._async_sentinel: Any = None
        self._service_name = service_name
        self._per_loop: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
        self._sentinels: dict[int, Any] = {}  # id(master client) -> the Sentinel made for it
        self._adopt(target)
        if self.url is not None:
            if is_sentinel_url(self.url):
                SentinelURL.parse(self.url)  # a malformed URL fails here, not at first use
            self._sync = self._make_sync()

    def _adopt(self, target: Any) -> None:
        """Keep what the user gave, sorted by kind (a URL's clients are made afterwards)."""
        redis = redis_module()
        if isinstance(target, str):
            self.url = target
        elif isinstance(target, redis.sentinel.Sentinel):
            options = _options(self.timeout, asynchronous=False)
            self._sync = target.master_for(_needs_name(self._service_name), **options)
            self._own_sync = True
        elif isinstance(target, redis.asyncio.sentinel.Sentinel):
            self._async_sentinel = target
            _needs_name(self._service_name)
        elif isinstance(target, (redis.asyncio.Redis, redis.asyncio.cluster.RedisCluster)):
            self._given_async = target
        elif isinstance(target, redis.Redis):
            self._sync, self._own_sync = _bounded_copy(target, self.timeout)
        elif isinstance(target, redis.cluster.RedisCluster):
            self._sync = target
        else:
            raise TypeError(f"expected a Redis URL or a redis-py client, not {type(target)!r}")

    # -- sync -------------------------------------------------------------------------------

    def sync_client(self) -> Any:
        if self._sync is None:
            raise TypeError("this was given an asyncio Redis client: use the *_async methods")
        return self._sync

    def is_cluster(self, client: Any) -> bool:
        redis = redis_module()
        return isinstance(client, (redis.cluster.RedisCluster, redis.asyncio.cluster.RedisCluster))

    def can_switch_to_cluster(self) -> bool:
        """A ``MOVED`` reply may turn this link into a cluster one (a URL, mode unknown)."""
        return self.url is not None and self.cluster is None and not is_sentinel_url(self.url)

    def switch_to_cluster(self) -> None:
        """The URL's server is a Cluster node: talk cluster from now on (both flavours)."""
        self.cluster = True
        old, self._sync = self._sync, self._make_sync()
        if old is not None:
            old.close()
        self._per_loop = weakref.WeakKeyDictionary()  # made again, in cluster mode

    def _make_sync(self) -> Any:
        redis = redis_module()
        assert self.url is not None
        options = _options(self.timeout, asynchronous=False)
        if is_sentinel_url(self.url):
            return self._sentinel_master(
                redis.sentinel.Sentinel, SentinelURL.parse(self.url), options
            )
        if self.cluster:
            return redis.cluster.RedisCluster.from_url(self.url, **options)
        return redis.Redis.from_url(self.url, **options)

    # -- asyncio ------------------------------------------------------------------------------

    def async_client(self) -> Any:
        """The asyncio client for the running loop (made on first use in that loop)."""
        if self._given_async is not None:
            return self._given_async
        loop = asyncio.get_running_loop()
        client = self._per_loop.get(loop)
        if client is None:
            client = self._make_async()
            self._per_loop[loop] = client
        return client

    def _make_async(self) -> Any:
        redis = redis_module()
        options = _options(self.timeout, asynchronous=True)
        if self._async_sentinel is not None:
            return self._async_sentinel.master_for(self._service_name, **options)
        if self.url is None:
            raise TypeError("this was given a sync Redis client: use the sync methods")
        if is_sentinel_url(self.url):
            parsed = SentinelURL.parse(self.url)
            return self._sentinel_master(redis.asyncio.sentinel.Sentinel, parsed, options)
        if self.cluster:
            return redis.asyncio.cluster.RedisCluster.from_url(self.url, **options)
        return redis.asyncio.Redis.from_url(self.url, **options)

    def _sentinel_master(
        self, sentinel_class: Any, url: SentinelURL, options: dict[str, Any]
    ) -> Any:
        """The master ``url`` names, through a Sentinel made here (closed with it)."""
        sentinel = sentinel_class(list(url.sentinels), sentinel_kwargs=dict(options), **options)
        extra: dict[str, Any] = {"db": url.db}
        if url.password is not None:
            extra["password"] = url.password
        if url.username is not None:
            extra["username"] = url.username
        if url.tls:
            extra["ssl"] = True
        master = sentinel.master_for(url.service_name, **extra)
        self._sentinels[id(master)] = sentinel
        return master

    # -- closing ------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the sync connections made here (a client you passed in is yours)."""
        if (self.url is not None or self._own_sync) and self._sync is not None:
            self._sync.close()
            for watcher in getattr(self._sentinels.pop(id(self._sync), None), "sentinels", ()):
                watcher.close()

    async def aclose(self) -> None:
        """Close the running loop's connections made here."""
        client = self._per_loop.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.aclose()
            for watcher in getattr(self._sentinels.pop(id(client), None), "sentinels", ()):
                await watcher.aclose()


def _bounded_copy(client: Any, timeout: float) -> tuple[Any, bool]:
    """A client on the same server as ``client``, its connects and reads bounded by ``timeout``.

    A client built by the user often has no socket timeout: its connect handshake could
    then hang on a frozen server however short the caller's deadline. The user's client is
    left as it is; a pool of another kind (Sentinel's) is used as given.
    """
    redis = redis_module()
    pool = client.connection_pool
    if type(pool) not in (redis.ConnectionPool, redis.BlockingConnectionPool):
        return client, False
    options = dict(pool.connection_kwargs)
    for name in ("socket_timeout", "socket_connect_timeout"):
        given = options.get(name)
        options[name] = timeout if given is None else min(given, timeout)
    options["retry"] = _options(timeout, asynchronous=False)["retry"]
    copy = type(pool)(connection_class=pool.connection_class, **options)
    return redis.Redis(connection_pool=copy), True


def _options(timeout: float, *, asynchronous: bool) -> dict[str, Any]:
    """Client options: ``timeout`` for connects and reads, and no retries of redis-py's own.

    redis-py retries a failed connect or read (three times, backing off): a caller's
    deadline would be spent four times over. The caller's own retry policy decides.
    """
    redis = redis_module()
    retry_class = redis.asyncio.retry.Retry if asynchronous else redis.retry.Retry
    return {
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "retry": retry_class(redis.backoff.NoBackoff(), 0),
    }


def _needs_name(service_name: str | None) -> str:
    if not service_name:
        raise ValueError("with a Sentinel, give service_name= (the master's name)")
    return service_name
