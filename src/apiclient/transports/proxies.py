"""Which proxy a request goes through: ``proxy=``, else the standard environment variables.

``proxy="http://user:pass@proxy:3128"`` sends every request through that proxy: plain http
requests are forwarded by it, https ones tunnelled (``CONNECT``), so the proxy never sees
what is inside. Without ``proxy=``, and unless ``trust_env=False``, ``HTTP_PROXY``,
``HTTPS_PROXY``, ``ALL_PROXY`` and ``NO_PROXY`` (either case) decide, as curl and requests
read them; they are read once, when the client is made. ``.netrc`` is never read. The
proxy's credentials become a ``Proxy-Authorization`` header sent to the proxy only (for
https, on the ``CONNECT`` alone), never to the origin, and redacted like every secret.

SOCKS proxies (``socks5://``, ``socks5h://`` to let the proxy resolve names, ``socks4://``,
``socks4a://``) need ``apiclient[socks]``; their credentials go in the SOCKS handshake.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

SOCKS_SCHEMES = frozenset({"socks5", "socks5h", "socks4", "socks4a"})


@dataclass(frozen=True)
class ProxyRoute:
    """A proxy to use: its URL without credentials, and how they are presented.

    An HTTP proxy takes them as a ``Proxy-Authorization`` header (``authorization``); a
    SOCKS proxy as a user name and password in its handshake.
    """

    url: str
    authorization: str | None = field(default=None, repr=False)
    username: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)

    @property
    def socks(self) -> bool:
        """Whether this is a SOCKS proxy (the request goes through a tunnel it opens)."""
        return self.url.startswith("socks")


class Proxies:
    """``proxy=`` and ``trust_env=``, and the environment as it was when the client was made.

    Every proxy URL is parsed once, here: ``route`` runs for every request.
    """

    def __init__(self, proxy: str | None = None, trust_env: bool = True) -> None:
        self.trust_env = trust_env
        self._fixed = _route(proxy) if proxy is not None else None  # malformed: fails now
        environment = {}
        if proxy is None and trust_env:
            environment = proxies_from_environment()
        self._no_proxy = environment.pop("no", "")
        self._by_scheme = {scheme: _route(url) for scheme, url in environment.items() if url}
        #: False when every request goes direct: transports then skip ``route`` altogether.
        self.any = self._fixed is not None or bool(self._by_scheme)
        #: Whether some request may go through a SOCKS proxy (transports check their extra).
        self.socks = any(route.socks for route in (self._fixed, *self._by_scheme.values()) if route)

    def route(self, scheme: str, host: str) -> ProxyRoute | None:
        """The proxy for a request to ``scheme://host``, or None to go direct."""
        if self._fixed is not None:
            return self._fixed
        found = self._by_scheme.get(scheme) or self._by_scheme.get("all")
        if found is None or _bypassed(host, self._no_proxy):
            return None
        return found

    def __repr__(self) -> str:
        return f"Proxies(any={self.any}, trust_env={self.trust_env})"  # no URL: credentials


def proxies_from_environment() -> dict[str, str]:
    """``{scheme: proxy URL}`` (and ``"no"``) from ``*_proxy`` variables, as urllib reads them.

    A lower-case name wins over its upper-case twin; under CGI (``REQUEST_METHOD`` set)
    the upper-case ``HTTP_PROXY`` is ignored, since a client can set it as a header.
    (Not ``urllib.request.getproxies_environment``: importing urllib.request costs more
    than the rest of the client's first call.)
    """
    found: dict[str, str] = {}
    for name, value in os.environ.items():  # upper case first, then lower case over it
        if value and name.isupper() and name.endswith("_PROXY"):
            found[name[:-6].lower()] = value
    if "REQUEST_METHOD" in os.environ:
        found.pop("http", None)
    for name, value in os.environ.items():
        if name.islower() and name.endswith("_proxy"):
            if value:
                found[name[:-6]] = value
            else:
                found.pop(name[:-6], None)
    return found


def _route(url: str) -> ProxyRoute:
    parts = urlsplit(url if "://" in url else f"http://{url}")
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https", *SOCKS_SCHEMES) or not parts.hostname:
        raise ValueError(
            "proxy must be an http://, https:// or socks5:// (socks5h, socks4, socks4a) URL"
        )
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    port = f":{parts.port}" if parts.port else ""
    proxy_url = f"{scheme}://{host}{port}"
    if parts.username is None:
        return ProxyRoute(proxy_url)
    username, password = unquote(parts.username), unquote(parts.password or "")
    if scheme in SOCKS_SCHEMES:
        return ProxyRoute(proxy_url, username=username, password=password)
    pair = f"{username}:{password}".encode()
    return ProxyRoute(proxy_url, "Basic " + base64.b64encode(pair).decode())


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
