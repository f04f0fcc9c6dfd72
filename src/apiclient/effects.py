"""The effects the request loop (and auth flows) ask a driver to perform.

The loop and auth objects never do I/O themselves: they yield one of these and the sync or
async driver performs it, resuming them with the result (or throwing the error in).
Effects live for one step of one call and nobody keeps them, so they are plain (not
frozen) dataclasses: a frozen one costs a microsecond more to make, on every call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from apiclient.models import Request
from apiclient.policies.timeouts import Timeouts


class SupportsAcquire(Protocol):
    """Anything with ``acquire()``, like the seed's ``rate_limit_lock``."""

    def acquire(self) -> Any:
        """Block until the caller may proceed."""
        ...


class Pausable(Protocol):
    """A limiter that can stop granting for a while (apiclient's limiters can)."""

    def pause(self, seconds: float) -> None:
        """Grant nothing to anyone sharing this limiter for ``seconds``."""
        ...


class Waitable(Protocol):
    """An event another caller sets (a ``threading.Event``)."""

    def wait(self, timeout: float | None = None) -> bool:
        """Block until set or ``timeout``; return whether it was set."""
        ...


@dataclass(slots=True)
class Send:
    """Send ``request`` and resume with its ``Response`` (or throw the error in)."""

    request: Request
    timeout: Timeouts
    max_body_bytes: int
    stream: bool = False


@dataclass(slots=True)
class Sleep:
    """Wait ``seconds``, then resume with None."""

    seconds: float


@dataclass(slots=True)
class Acquire:
    """Acquire ``limiter`` (within ``timeout`` seconds if not None), resume with None."""

    limiter: SupportsAcquire
    timeout: float | None


@dataclass(slots=True)
class Pause:
    """Tell ``limiter``, and so everyone sharing it, that the server asked for ``seconds``.

    Resume with None. A shared limiter may need I/O for it (Redis), hence an effect.
    """

    limiter: Pausable
    seconds: float


@dataclass(slots=True)
class Enter:
    """Take a slot of ``limiter`` (a concurrency limit) within ``timeout``; resume with it."""

    limiter: Any
    timeout: float | None


@dataclass(slots=True)
class Wait:
    """Wait until ``event`` is set (another caller's token refresh), resume with a bool."""

    event: Waitable
    timeout: float | None


@dataclass(slots=True)
class Call:
    """Call ``target.<name>(*args)``; an async driver awaits ``<name>_async`` if it has one.

    For the shared stores (a token store's lock, load and save): sync and asyncio flavours
    behind one name, resumed with the result.
    """

    target: Any
    name: str
    args: tuple[Any, ...] = ()
    #: The call may wait for another process (a store's lock): observers hear of the wait.
    waits: bool = False


Effect = Send | Sleep | Acquire | Pause | Enter | Wait | Call
