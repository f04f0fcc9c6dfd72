"""An absolute URL split the way a transport needs it: scheme, host, port, request target.

Shared by the transports (no dependency of theirs): urllib3 picks its pool by it, libcurl's
proxy choice goes by its host.
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1024)
def split_url(url: str) -> tuple[str, str, int | None, str]:
    """Split an absolute URL into scheme, host, port and request target.

    Cached: an API client asks for the same URLs again and again.
    """
    scheme, _, rest = url.partition("://")
    cut = len(rest)
    for mark in "/?#":
        found = rest.find(mark)
        if found != -1 and found < cut:
            cut = found
    authority, target = rest[:cut], rest[cut:].partition("#")[0]
    if not target.startswith("/"):
        target = "/" + target
    host, port = authority.rpartition("@")[2], None
    if host.startswith("["):
        bracket = host.index("]")
        host, port_text = host[1:bracket], host[bracket + 2 :]
    else:
        host, _, port_text = host.partition(":")
    if port_text:
        port = int(port_text)
    return scheme.lower(), host, port, target
