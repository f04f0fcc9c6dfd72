"""SOCKS proxies for the urllib3 transport (``apiclient[socks]``: PySocks, through urllib3).

Imported only when a client's proxy is a SOCKS one. The pools are urllib3's SOCKS pools
with apiclient's guarded connections (the call's deadline on every read and write, strict
response parsing), as for a direct origin.
"""

from __future__ import annotations

from typing import Any

try:
    from urllib3.contrib.socks import (
        SOCKSConnection,
        SOCKSHTTPConnectionPool,
        SOCKSHTTPSConnection,
        SOCKSHTTPSConnectionPool,
        SOCKSProxyManager,
    )
except ImportError as exc:  # urllib3 needs PySocks for these
    raise ImportError("a SOCKS proxy needs PySocks: pip install 'apiclient[socks]'") from exc

from apiclient.transports.guarded import Guarding, QuietlyUnverified
from apiclient.transports.proxies import ProxyRoute


class _GuardedSOCKSConnection(Guarding, SOCKSConnection):
    """A connection through the SOCKS proxy, guarded like a direct one."""


class _GuardedSOCKSHTTPSConnection(Guarding, SOCKSHTTPSConnection):
    """The same for https (TLS inside the proxy's tunnel)."""


class _GuardedSOCKSPool(SOCKSHTTPConnectionPool):
    ConnectionCls = _GuardedSOCKSConnection


class _GuardedSOCKSHTTPSPool(SOCKSHTTPSConnectionPool):
    ConnectionCls = _GuardedSOCKSHTTPSConnection


class _UnverifiedSOCKSHTTPSPool(QuietlyUnverified, _GuardedSOCKSHTTPSPool):
    """For ``verify=False``."""


def socks_manager(route: ProxyRoute, pool_options: dict[str, Any], verify: bool) -> Any:
    """A pool manager whose connections go through ``route``'s SOCKS proxy."""
    manager = SOCKSProxyManager(
        route.url, username=route.username, password=route.password, **pool_options
    )
    manager.pool_classes_by_scheme = {
        "http": _GuardedSOCKSPool,
        "https": _GuardedSOCKSHTTPSPool if verify else _UnverifiedSOCKSHTTPSPool,
    }
    return manager
