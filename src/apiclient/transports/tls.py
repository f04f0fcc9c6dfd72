"""A client's TLS settings, one value both transports read: verification, CAs, client certs.

``verify`` and ``ca_certs`` choose what server certificates are trusted; ``cert`` presents
a client certificate (mutual TLS): a ``(certfile, keyfile)`` pair or one file holding both;
``ssl_context`` replaces all of that with a context of your own. Each client has its own
pools, so connections made under one setting are never used under another.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import ssl

ClientCert = str | tuple[str, str]


@dataclass(frozen=True)
class TLSOptions:
    """What ``APIClient(verify=, ca_certs=, cert=, ssl_context=)`` says about TLS."""

    verify: bool = True
    ca_certs: str | None = None
    cert: ClientCert | None = None
    ssl_context: ssl.SSLContext | None = None

    def __post_init__(self) -> None:
        if self.ssl_context is not None and (self.ca_certs or self.cert or not self.verify):
            raise ValueError("ssl_context= replaces verify=, ca_certs= and cert=: give one only")

    @property
    def cert_files(self) -> tuple[str | None, str | None]:
        """``(certfile, keyfile)``; the key may be in the certificate's file (None)."""
        if self.cert is None:
            return None, None
        if isinstance(self.cert, str):
            return self.cert, None
        return self.cert[0], self.cert[1]

    def warn_if_unverified(self) -> None:
        """Log, once per transport made, that certificates go unchecked (``verify=False``)."""
        if not self.verify:
            import logging

            logging.getLogger("apiclient").warning(
                "TLS certificate verification is OFF for this client"
            )

    def context(self) -> ssl.SSLContext | None:
        """The given context, or one made from the settings (None: verification off)."""
        if self.ssl_context is not None:
            return self.ssl_context
        if not self.verify:
            return None
        import ssl  # (the transports have it loaded already; ``import apiclient`` does not)

        context = ssl.create_default_context(cafile=self.ca_certs)  # cafile replaces defaults
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        certfile, keyfile = self.cert_files
        if certfile is not None:
            context.load_cert_chain(certfile, keyfile)
        return context
