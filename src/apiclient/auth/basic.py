"""HTTP Basic authentication (RFC 7617): a user name and a password on every request."""

from __future__ import annotations

import base64

from apiclient.auth.base import AuthBase
from apiclient.models import Request


class BasicAuth(AuthBase):
    """Send ``Authorization: Basic base64(username:password)``, UTF-8 encoded."""

    def __init__(self, username: str, password: str) -> None:
        if ":" in username:
            raise ValueError("a Basic auth user name may not contain ':'")
        self.username = username
        pair = f"{username}:{password}".encode()
        self._password = password
        self._value = "Basic " + base64.b64encode(pair).decode("ascii")

    def secrets(self) -> frozenset[str]:
        """The password and the encoded pair that carries it."""
        return frozenset({self._password, self._value.removeprefix("Basic ")})

    def apply(self, request: Request) -> Request:
        """Add the ``Authorization`` header."""
        return self.with_header(request, "Authorization", self._value)

    def __repr__(self) -> str:
        return f"BasicAuth(username={self.username!r}, password=[redacted])"
