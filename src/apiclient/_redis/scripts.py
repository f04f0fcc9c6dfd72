"""Lua scripts run on a shared Redis within the caller's deadline, errors sorted by cause.

redis-py bounds a command only by the socket timeout its client was made with (none, for
a client you build yourself) and then retries it. A limiter must not wait longer than its
caller accepts, so each script here runs on a connection taken from the client's pool with
its own read deadline, is never retried, and a connection left mid-reply is dropped.
``EVALSHA`` first, ``EVAL`` (which caches the script again) after a ``SCRIPT FLUSH`` or a
restart. A Cluster client's script goes to the node owning the keys' slot; a ``MOVED``
refreshes the slot map, and on a link from a plain URL switches it to cluster mode.
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

from apiclient._redis.topology import RedisLink, redis_module
from apiclient.errors import RateLimiterMisconfigured, RateLimiterUnavailable, SharedStateError

#: No Redis round trip is given less than this (seconds), however little of a budget is left.
MIN_ROUND_TRIP = 0.05


class Script:
    """A Lua script and its SHA1, as ``EVALSHA`` names it."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.sha = hashlib.sha1(text.encode()).hexdigest()


def run(link: RedisLink, script: Script, keys: list[str], args: list[Any], seconds: float) -> Any:
    """``script`` on ``link``'s sync client, answered within ``seconds`` or an error."""
    redis = redis_module()
    deadline = max(seconds, MIN_ROUND_TRIP)
    for attempt in range(2):
        client = link.sync_client()
        try:
            if link.is_cluster(client):
                client = client.get_redis_connection(client.get_node_from_key(keys[0]))
            return _run_on(client, script, keys, args, deadline)
        except redis.exceptions.AskError:  # MOVED is a kind of ASK
            if attempt or not _refresh_slots(link):
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _run_on(client: Any, script: Script, keys: list[str], args: list[Any], seconds: float) -> Any:
    redis = redis_module()
    if client.connection is not None:  # a single-connection client: its own lock and rules
        return client.evalsha(script.sha, len(keys), *keys, *args)
    pool = client.connection_pool
    connection = pool.get_connection()
    try:
        try:
            return _ask(connection, ("EVALSHA", script.sha, len(keys), *keys, *args), seconds)
        except redis.exceptions.NoScriptError:
            return _ask(connection, ("EVAL", script.text, len(keys), *keys, *args), seconds)
    finally:
        pool.release(connection)


def _ask(connection: Any, command: tuple[Any, ...], seconds: float) -> Any:
    """Send one command, read its reply within ``seconds``; a late reply drops the connection."""
    try:
        connection.send_command(*command)
        return connection.read_response(timeout=seconds)
    except redis_module().exceptions.ResponseError:
        raise  # the reply was read whole: the connection is fine
    except BaseException:
        connection.disconnect()
        raise


def _refresh_slots(link: RedisLink) -> bool:
    """After a ``MOVED``: learn the cluster's slots again (or become a cluster link)."""
    if link.is_cluster(link.sync_client()):
        link.sync_client().nodes_manager.initialize()
        return True
    if link.can_switch_to_cluster():
        link.switch_to_cluster()
        return True
    return False


async def run_async(
    link: RedisLink, script: Script, keys: list[str], args: list[Any], seconds: float
) -> Any:
    """``run`` for asyncio: the loop's own client, the call cancelled at the deadline."""
    redis = redis_module()
    deadline = max(seconds, MIN_ROUND_TRIP)
    for attempt in range(2):
        client = link.async_client()
        try:
            return await asyncio.wait_for(_eval_async(client, script, keys, args), deadline)
        except TimeoutError:
            message = f"Redis did not answer within {deadline:g}s"
            raise redis.exceptions.TimeoutError(message) from None
        except redis.exceptions.AskError:
            if attempt or not link.can_switch_to_cluster():
                raise
            link.switch_to_cluster()
            await client.aclose()  # the plain client of this loop, made by the link
    raise AssertionError("unreachable")  # pragma: no cover


async def _eval_async(client: Any, script: Script, keys: list[str], args: list[Any]) -> Any:
    try:
        return await client.evalsha(script.sha, len(keys), *keys, *args)
    except redis_module().exceptions.NoScriptError:
        return await client.eval(script.text, len(keys), *keys, *args)


def shared_state_error(error: BaseException, what: str) -> SharedStateError:
    """The typed error for a Redis failure: unreachable (transient) or misconfigured."""
    exceptions = redis_module().exceptions
    reason = describe(error)
    if isinstance(error, (exceptions.AuthenticationError, exceptions.AuthorizationError)):
        return RateLimiterMisconfigured(f"{what}: Redis refused the credentials ({reason})")
    if "certificate verify failed" in reason.lower():
        return RateLimiterMisconfigured(
            f"{what}: the Redis server's TLS certificate is not trusted; give its CA "
            f"(?ssl_ca_certs= in the URL) ({reason})"
        )
    if isinstance(
        error,
        (
            exceptions.ConnectionError,
            exceptions.TimeoutError,
            exceptions.ClusterDownError,
            exceptions.TryAgainError,
            OSError,
            asyncio.TimeoutError,
        ),
    ):
        return RateLimiterUnavailable(f"{what}: Redis is unreachable ({reason})")
    return RateLimiterMisconfigured(f"{what}: {_misconfiguration(error)} ({reason})")


def _misconfiguration(error: BaseException) -> str:
    exceptions = redis_module().exceptions
    text = str(error)
    if isinstance(error, exceptions.AskError):
        return "this Redis is a Cluster node: pass cluster=True or a RedisCluster client"
    if isinstance(error, exceptions.ReadOnlyError):
        return "this Redis is a read-only replica: point it at the master"
    if isinstance(error, exceptions.OutOfMemoryError):
        return "Redis is out of memory (maxmemory): it refuses writes"
    if isinstance(error, exceptions.NoPermissionError):
        return "the Redis user may not run scripts on these keys (ACL)"
    if text.startswith("WRONGTYPE"):
        return "the key holds another kind of value: another program uses this key name"
    if isinstance(error, exceptions.ClusterCrossSlotError) or "CROSSSLOT" in text:
        return "the keys are on different Cluster slots"
    return "Redis refused the script"


def describe(error: BaseException) -> str:
    """The error's kind and text; redis-py's texts name host and port, never a password."""
    return f"{type(error).__name__}: {error}"


def redis_errors() -> tuple[type[BaseException], ...]:
    """What a Redis call can raise besides apiclient's own errors."""
    return (redis_module().exceptions.RedisError, OSError, asyncio.TimeoutError)
