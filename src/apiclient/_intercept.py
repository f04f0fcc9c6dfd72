"""Where a test tool steps in between a client and its transport (a cassette, say).

A client asks ``intercepted`` for the transport of each call only while something is
registered here (a module-level list: an empty one costs a call one truth test). The
innermost registration, the last, wraps the transport; nothing is patched.
"""

from __future__ import annotations

from typing import Any, Protocol


class Interceptor(Protocol):
    """Something that may stand in front of a client's transport."""

    def wrap(self, client: Any, transport: Any) -> Any:
        """The transport ``client`` is to use for this call (``transport``, or a stand-in)."""
        ...


#: Registered interceptors, innermost last.
active: list[Interceptor] = []


def intercepted(client: Any, transport: Any) -> Any:
    """The transport for ``client``'s call: the innermost interceptor's choice.

    Called only while ``active`` is not empty (the client tests it first).
    """
    return active[-1].wrap(client, transport)
