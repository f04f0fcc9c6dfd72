"""What every apiclient limiter offers beyond the seed's bare ``acquire()``."""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class Limiter(Protocol):
    """A limiter the client can give a deadline to, and tell when the server says "wait"."""

    def acquire(self, block: bool = True, timeout: float | None = None) -> bool:
        """Take one grant, waiting up to ``timeout`` seconds; raise ``RateExceededError``."""
        ...

    async def acquire_async(self, block: bool = True, timeout: float | None = None) -> bool:
        """``acquire`` for asyncio."""
        ...

    def pause(self, seconds: float) -> None:
        """Grant nothing to anyone sharing this limiter for ``seconds``."""
        ...
