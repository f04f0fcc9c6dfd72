"""Which ``Content-Encoding`` a transport can decode. A pure check, shared by transports.

A body in a coding nobody here can decode (``compress``, ``x-evil``) is refused with a
``DecodeError`` rather than handed to the caller as if it were the content.
"""

from __future__ import annotations

from collections.abc import Collection

from apiclient.errors import DecodeError


def check_codings(header: str | None, supported: Collection[str]) -> None:
    """Raise ``DecodeError`` unless every coding in ``header`` is ``identity`` or supported."""
    if not header:
        return
    for coding in header.split(","):
        name = coding.strip().lower()
        if name and name != "identity" and name not in supported:
            raise DecodeError(f"the response's Content-Encoding {name[:40]!r} is not supported")


def accept_encoding(supported: Collection[str]) -> str:
    """``Accept-Encoding`` for a transport that decodes ``supported``, in a fixed order."""
    return ", ".join(c for c in ("gzip", "deflate", "br", "zstd") if c in supported)
