"""SOCKS proxies for the aiohttp transport (``apiclient[socks]``: aiohttp-socks).

Imported only when a client's proxy is a SOCKS one. aiohttp takes a SOCKS proxy as a
connector, so each SOCKS proxy gets a session of its own beside the transport's main one.
Its connections speak through apiclient's ``StrictResponseHandler``, as direct ones do:
aiohttp-socks makes a plain handler once the tunnel is open, and it is swapped before the
first byte of HTTP. A proxy that refuses, or cannot reach the origin, is a
``ConnectError`` (``ConnectTimeout`` if it does not answer in time).
"""

from __future__ import annotations

import ssl
from typing import Any
from urllib.parse import urlsplit

try:
    import python_socks
    from aiohttp_socks import ProxyConnector
except ImportError as exc:
    raise ImportError("a SOCKS proxy needs aiohttp-socks: pip install 'apiclient[socks]'") from exc

from apiclient.errors import ConnectError, ConnectTimeout
from apiclient.transports.aiohttp_protocol import StrictResponseHandler
from apiclient.transports.proxies import ProxyRoute


class _StrictProxyConnector(ProxyConnector):
    """aiohttp-socks's connector, whose connections use ``StrictResponseHandler``.

    ``_connect_via_proxy`` is aiohttp-socks's own hook; tests/test_proxies.py notices if
    it changes.
    """

    async def _connect_via_proxy(self, *args: Any, **kwargs: Any) -> Any:
        try:
            transport, plain = await super()._connect_via_proxy(*args, **kwargs)
        except python_socks.ProxyTimeoutError:
            raise ConnectTimeout("timed out while connecting through the SOCKS proxy") from None
        except (python_socks.ProxyError, python_socks.ProxyConnectionError) as exc:
            raise ConnectError(f"could not connect through the SOCKS proxy: {exc}") from None
        strict = StrictResponseHandler(loop=self._loop)
        strict._writer = plain._writer  # type: ignore[attr-defined]  # keeps the stream alive
        transport.set_protocol(strict)
        strict.connection_made(transport)
        return transport, strict


def socks_connector(route: ProxyRoute, limit: int, tls: ssl.SSLContext | bool) -> Any:
    """A connector (for the running loop) whose connections go through ``route``'s proxy."""
    parts = urlsplit(route.url)
    kind = python_socks.ProxyType.SOCKS5 if parts.scheme.startswith("socks5") else (
        python_socks.ProxyType.SOCKS4)  # fmt: skip
    return _StrictProxyConnector(
        parts.hostname or "", parts.port or 1080, kind,
        username=route.username, password=route.password,
        rdns=parts.scheme in ("socks5h", "socks4a"),  # the proxy resolves the origin's name
        limit=limit, ssl=tls,
    )  # fmt: skip
