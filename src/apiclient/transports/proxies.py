"""Which HTTP proxy a request goes through: ``proxy=``, else the standard environment variables.

``proxy="http://user:pass@proxy:3128"`` sends every request through that proxy: plain http
requests are forwarded by it, https ones tunnelled (``CONNECT``), so the proxy never sees
what is inside. Without ``proxy=``, and unless ``trust_env=False``, ``HTTP_PROXY``,
``HTTPS_PROXY``, ``ALL_PROXY`` and ``NO_PROXY`` (either case) decide, as curl and requests
read them; they are read once, when the client is made. ``.netrc`` is never read. The
proxy's credentials become a ``Proxy-Authorization`` header sent to the proxy only (for
https, on the ``CONNECT`` alone), never to the origin, and redacted like every secret.
"""

from __future__ import annotations

import base64
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit


@dataclass(frozen=True)
class ProxyRoute:
    """A proxy to use: its URL without credentials, and the header carrying them (or None)."""

    url: str
    authorization: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Proxies:
    """``proxy=`` and ``trust_env=``, and the environment as it was when the client was made."""

    proxy: str | None = field(default=None, repr=False)
    trust_env: bool = True
    _environment: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.proxy is None and self.trust_env:
            found = urllib.request.getproxies_environment()
            object.__setattr__(self, "_environment", found)
        if self.proxy is not None:
            _route(self.proxy)  # a malformed proxy URL fails when the client is made

    def route(self, scheme: str, host: str) -> ProxyRoute | None:
        """The proxy for a request to ``scheme://host``, or None to go direct."""
        if self.proxy is not None:
            return _route(self.proxy)
        environment = self._environment
        if not environment:
            return None
        url = environment.get(scheme) or environment.get("all")
        if not url or _bypassed(host, environment.get("no", "")):
            return None
        return _route(url)


def _route(url: str) -> ProxyRoute:
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            "proxy must be an http:// or https:// URL (SOCKS proxies are not supported)"
        )
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    port = f":{parts.port}" if parts.port else ""
    authorization = None
    if parts.username is not None:
        pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        authorization = "Basic " + base64.b64encode(pair.encode()).decode()
    return ProxyRoute(f"{parts.scheme}://{host}{port}", authorization)


def _bypassed(host: str, no_proxy: str) -> bool:
    """``NO_PROXY``: ``*``, or hosts and domain suffixes (``.example.com``, ``example.com``)."""
    host = host.lower().strip("[]")
    for entry in (e.strip().lower() for e in no_proxy.split(",")):
        if not entry:
            continue
        if entry == "*":
            return True
        name = entry.split(":")[0].lstrip(".")
        if host == name or host.endswith("." + name):
            return True
    return False
