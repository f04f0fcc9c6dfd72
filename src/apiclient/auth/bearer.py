"""``Authorization: Bearer <token>`` (RFC 6750), for OAuth 2 access tokens and API tokens."""

from __future__ import annotations

from apiclient.auth.base import AuthBase, checked_secret
from apiclient.models import Request


class BearerToken(AuthBase):
    """Send a fixed bearer token in the ``Authorization`` header."""

    def __init__(self, token: str) -> None:
        self._token = checked_secret("token", token)
        self._value = "Bearer " + self._token

    def secrets(self) -> frozenset[str]:
        """The token."""
        return frozenset({self._token})

    def apply(self, request: Request) -> Request:
        """Add the ``Authorization`` header."""
        return self.with_header(request, "Authorization", self._value)
