"""The effects the request loop (and auth flows) ask a driver to perform.

The loop and auth objects never do I/O themselves: they yield one of these and the sync or
async driver performs it, resuming them with the result (or throwing the error in).
Effects live for one step of one call and nobody keeps them: plain slotted classes,
quick to make on every call and to define at import.
"""

from __future__ import annotations

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


class _Effect:
    """Equality and a repr over ``__slots__``, as a dataclass would give them (no hash).

    Plain classes: the request loop makes one or two effects per call, and a module of
    dataclasses costs milliseconds to define when the client is first imported.
    """

    __slots__: tuple[str, ...] = ()

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__name__}({fields})"


class Send(_Effect):
    """Send ``request`` and resume with its ``Response`` (or throw the error in)."""

    __slots__ = ("max_body_bytes", "request", "stream", "timeout")
    request: Request
    timeout: Timeouts
    max_body_bytes: int
    stream: bool

    def __init__(
        self, request: Request, timeout: Timeouts, max_body_bytes: int, stream: bool = False
    ) -> None:
        self.request = request
        self.timeout = timeout
        self.max_body_bytes = max_body_bytes
        self.stream = stream


class Sleep(_Effect):
    """Wait ``seconds``, then resume with None."""

    __slots__ = ("seconds",)
    seconds: float

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds


class Acquire(_Effect):
    """Acquire ``limiter`` (within ``timeout`` seconds if not None), resume with None."""

    __slots__ = ("limiter", "timeout")
    limiter: SupportsAcquire
    timeout: float | None

    def __init__(self, limiter: SupportsAcquire, timeout: float | None) -> None:
        self.limiter = limiter
        self.timeout = timeout


class Pause(_Effect):
    """Tell ``limiter``, and so everyone sharing it, that the server asked for ``seconds``.

    Resume with None. A shared limiter may need I/O for it (Redis), hence an effect.
    """

    __slots__ = ("limiter", "seconds")
    limiter: Pausable
    seconds: float

    def __init__(self, limiter: Pausable, seconds: float) -> None:
        self.limiter = limiter
        self.seconds = seconds


class Enter(_Effect):
    """Take a slot of ``limiter`` (a concurrency limit) within ``timeout``; resume with it."""

    __slots__ = ("limiter", "timeout")
    limiter: Any
    timeout: float | None

    def __init__(self, limiter: Any, timeout: float | None) -> None:
        self.limiter = limiter
        self.timeout = timeout


class Wait(_Effect):
    """Wait until ``event`` is set (another caller's token refresh), resume with a bool."""

    __slots__ = ("event", "timeout")
    event: Waitable
    timeout: float | None

    def __init__(self, event: Waitable, timeout: float | None) -> None:
        self.event = event
        self.timeout = timeout


class Call(_Effect):
    """Call ``target.<name>(*args)``; an async driver awaits ``<name>_async`` if it has one.

    For the shared stores (a token store's lock, load and save): sync and asyncio flavours
    behind one name, resumed with the result. ``waits``: the call may wait for another
    process (a store's lock), so observers hear of the wait.
    """

    __slots__ = ("args", "name", "target", "waits")
    target: Any
    name: str
    args: tuple[Any, ...]
    waits: bool

    def __init__(
        self, target: Any, name: str, args: tuple[Any, ...] = (), waits: bool = False
    ) -> None:
        self.target = target
        self.name = name
        self.args = args
        self.waits = waits


Effect = Send | Sleep | Acquire | Pause | Enter | Wait | Call
