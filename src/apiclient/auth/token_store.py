"""Where an OAuth 2 token lives when several processes share it: one refresh for all of them.

A rotating refresh token works once. Processes that each refresh it race: one wins and the
others are left with a spent token (``invalid_grant``) for good. With a store, a process
that needs a new token takes the store's lock, reads the stored token again (another
process may just have refreshed), refreshes only if it must, saves, and lets go; the
others wait for the lock, bounded by the auth's ``refresh_wait``, then find the new token.

``TokenStore`` is the protocol; ``RedisTokenStore`` serves a fleet, ``FileTokenStore`` the
processes of one machine. The stored token is the user's secret: it is never logged and
no repr shows it (the store holds it in clear, as the user's own secret storage would).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from apiclient._redis import scripts
from apiclient._redis.scripts import redis_errors, shared_state_error
from apiclient._redis.topology import RedisLink
from apiclient.errors import AuthError

Token = dict[str, Any]

#: How often a process waiting for another's refresh looks again (seconds).
_POLL = 0.02


@dataclass(frozen=True)
class StoreLock:
    """A held store lock: ``fence`` grows with every lock taken, so a late holder's save fails."""

    fence: int
    owner: str = field(repr=False)


@runtime_checkable
class TokenStore(Protocol):
    """A token shared by processes, and a lock so that one of them refreshes it at a time.

    ``lock`` waits up to ``timeout`` seconds and returns None if it could not take it;
    ``save`` stores the token only if ``lock`` is still the newest lock taken (else it
    raises ``AuthError``). An async driver awaits ``<method>_async`` when the store has one,
    and runs the method in a thread otherwise.
    """

    def load(self) -> Token | None:
        """The stored token, or None."""
        ...

    def lock(self, timeout: float) -> StoreLock | None:
        """Take the refresh lock within ``timeout`` seconds (None: another process kept it)."""
        ...

    def save(self, token: Token, lock: StoreLock) -> None:
        """Store ``token``, fenced by ``lock``."""
        ...

    def unlock(self, lock: StoreLock) -> None:
        """Let the lock go (a lock whose time ran out is left alone)."""
        ...


# KEYS: lock, fence. ARGV: owner, ttl ms. Reply: the new fence, or 0 if another holds it.
_LOCK = scripts.Script(
    """
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return redis.call('INCR', KEYS[2])
end
return 0
"""
)

# KEYS: token, fence. ARGV: token JSON, fence. Reply: 1 saved, 0 a newer lock was taken.
_SAVE = scripts.Script(
    """
if tonumber(redis.call('GET', KEYS[2]) or '0') ~= tonumber(ARGV[2]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
return 1
"""
)

# KEYS: lock. ARGV: owner.
_UNLOCK = scripts.Script(
    """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
"""
)

_LOAD = scripts.Script("return redis.call('GET', KEYS[1])")


class RedisTokenStore:
    """A token store in Redis, for processes on many machines (``apiclient[redis]``).

    Args:
        url_or_client: as for ``RedisRateLimiter`` (a URL, a client, a Cluster, a Sentinel
            with ``service_name``).
        key: the token's name; the keys ``{key}:token``, ``{key}:lock``, ``{key}:fence``.
        lock_seconds: how long a refreshing process may hold the lock (longer than a token
            request takes); if it dies, the others may refresh after that.
        timeout: the longest one Redis round trip may take.
    """

    def __init__(
        self,
        url_or_client: Any,
        key: str = "apiclient-token",
        *,
        lock_seconds: float = 30.0,
        timeout: float = 2.0,
        cluster: bool | None = None,
        service_name: str | None = None,
    ) -> None:
        if not key:
            raise ValueError("key must not be empty")
        self.key = key
        self.lock_seconds = lock_seconds
        self._timeout = timeout
        self._keys = {part: f"{{{key}}}:{part}" for part in ("token", "lock", "fence")}
        self._link = RedisLink(
            url_or_client, timeout=timeout, cluster=cluster, service_name=service_name
        )

    def _run(self, script: scripts.Script, keys: list[str], args: list[Any]) -> Any:
        try:
            return scripts.run(self._link, script, keys, args, self._timeout)
        except redis_errors() as exc:
            raise shared_state_error(exc, f"token store {self.key!r}") from None

    async def _run_async(self, script: scripts.Script, keys: list[str], args: list[Any]) -> Any:
        try:
            return await scripts.run_async(self._link, script, keys, args, self._timeout)
        except redis_errors() as exc:
            raise shared_state_error(exc, f"token store {self.key!r}") from None

    # -- sync ---------------------------------------------------------------------------------

    def load(self) -> Token | None:
        """The stored token, or None."""
        return _decoded(self._run(_LOAD, [self._keys["token"]], []))

    def lock(self, timeout: float) -> StoreLock | None:
        """Take the refresh lock within ``timeout`` seconds, looking again every 20 ms."""
        owner, give_up = os.urandom(12).hex(), time.monotonic() + timeout
        while True:
            fence = int(self._run(_LOCK, self._lock_keys(), self._lock_args(owner)))
            if fence:
                return StoreLock(fence, owner)
            if time.monotonic() >= give_up:
                return None
            time.sleep(min(_POLL, max(0.0, give_up - time.monotonic())))

    def save(self, token: Token, lock: StoreLock) -> None:
        """Store ``token`` if ``lock`` is still the newest lock taken."""
        _check_saved(self._run(_SAVE, self._save_keys(), [json.dumps(token), lock.fence]))

    def unlock(self, lock: StoreLock) -> None:
        """Let the lock go, if it is still ours."""
        self._run(_UNLOCK, [self._keys["lock"]], [lock.owner])

    # -- asyncio ------------------------------------------------------------------------------

    async def load_async(self) -> Token | None:
        """``load`` for asyncio."""
        return _decoded(await self._run_async(_LOAD, [self._keys["token"]], []))

    async def lock_async(self, timeout: float) -> StoreLock | None:
        """``lock`` for asyncio."""
        owner, give_up = os.urandom(12).hex(), time.monotonic() + timeout
        while True:
            fence = int(await self._run_async(_LOCK, self._lock_keys(), self._lock_args(owner)))
            if fence:
                return StoreLock(fence, owner)
            if time.monotonic() >= give_up:
                return None
            await asyncio.sleep(min(_POLL, max(0.0, give_up - time.monotonic())))

    async def save_async(self, token: Token, lock: StoreLock) -> None:
        """``save`` for asyncio."""
        reply = await self._run_async(_SAVE, self._save_keys(), [json.dumps(token), lock.fence])
        _check_saved(reply)

    async def unlock_async(self, lock: StoreLock) -> None:
        """``unlock`` for asyncio."""
        await self._run_async(_UNLOCK, [self._keys["lock"]], [lock.owner])

    async def aclose(self) -> None:
        """Close the running loop's connections made by this store."""
        await self._link.aclose()

    # -- shared -------------------------------------------------------------------------------

    def _lock_keys(self) -> list[str]:
        return [self._keys["lock"], self._keys["fence"]]

    def _lock_args(self, owner: str) -> list[Any]:
        return [owner, int(self.lock_seconds * 1000)]

    def _save_keys(self) -> list[str]:
        return [self._keys["token"], self._keys["fence"]]

    def close(self) -> None:
        """Close the sync connections made by this store."""
        self._link.close()

    def __repr__(self) -> str:
        return f"RedisTokenStore(key={self.key!r})"


class FileTokenStore:
    """A token store in a file, for the processes of one machine (``flock`` locks it).

    The token file is written whole (a temporary file renamed over it) and readable by its
    owner only (mode 0600). A process that dies holding the lock releases it with its
    file descriptors, so no lock outlives its holder.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock_path = self.path.with_name(self.path.name + ".lock")
        self._held: dict[str, int] = {}
        self._guard = threading.Lock()

    def load(self) -> Token | None:
        """The stored token, or None."""
        try:
            return _decoded(self.path.read_bytes())
        except FileNotFoundError:
            return None

    def lock(self, timeout: float) -> StoreLock | None:
        """Take the lock file within ``timeout`` seconds."""
        import fcntl

        descriptor = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        give_up = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= give_up:
                    os.close(descriptor)
                    return None
                time.sleep(_POLL)
        owner = os.urandom(12).hex()
        with self._guard:
            self._held[owner] = descriptor
        return StoreLock(0, owner)

    def save(self, token: Token, lock: StoreLock) -> None:
        """Write the token (under the lock: the flock cannot be lost while held)."""
        if lock.owner not in self._held:
            raise AuthError("the token store's lock is not held: the token was not saved")
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=self.path.name)
        with os.fdopen(handle, "w") as file:
            json.dump(token, file)
        os.chmod(temporary, 0o600)
        os.replace(temporary, self.path)

    def unlock(self, lock: StoreLock) -> None:
        """Let the lock file go."""
        with self._guard:
            descriptor = self._held.pop(lock.owner, None)
        if descriptor is not None:
            with contextlib.suppress(OSError):
                os.close(descriptor)  # closing releases the flock

    def __repr__(self) -> str:
        return f"FileTokenStore({str(self.path)!r})"


def _decoded(raw: bytes | str | None) -> Token | None:
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        raise AuthError("the token store holds something that is not a token") from None
    if not isinstance(value, dict):
        raise AuthError("the token store holds something that is not a token")
    return value


def _check_saved(reply: Any) -> None:
    if not int(reply):
        raise AuthError(
            "the token store's lock was taken over while refreshing (the refresh took longer "
            "than lock_seconds): the new token was not saved"
        )
