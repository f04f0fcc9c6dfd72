"""The ASGI app ``bench/http2.py`` serves with hypercorn: JSON, and how it was reached.

``GET /stats`` answers the connections seen so far (distinct client ports) and the HTTP
versions the requests came over; any other path a small JSON body.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

_ports: set[int] = set()
_versions: set[str] = set()
BODY = json.dumps({"id": 1, "name": "widget", "tags": ["a", "b"], "price": 9.5}).encode()


async def app(
    scope: dict[str, Any],
    receive: Callable[[], Awaitable[dict[str, Any]]],
    send: Callable[[dict[str, Any]], Awaitable[None]],
) -> None:
    if scope["type"] != "http":
        return
    body = BODY
    if scope["path"] == "/stats":
        body = json.dumps({"connections": len(_ports), "versions": sorted(_versions)}).encode()
    else:
        _ports.add(scope["client"][1])
        _versions.add(scope["http_version"])
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})  # fmt: skip
    await send({"type": "http.response.body", "body": body})
