"""API keys, sent in a header (``X-API-Key`` by default) or as a query parameter."""

from __future__ import annotations

from apiclient.auth.base import AuthBase, checked_secret
from apiclient.models import Request
from apiclient.policies.validation import check_header


class APIKey(AuthBase):
    """An API key in a header or a query parameter.

    ``APIKey(key)`` sends ``X-API-Key: key``; ``APIKey(key, header="Authorization",
    prefix="Token ")`` sends ``Authorization: Token key``; ``APIKey(key, param="key")`` adds
    ``?key=...`` (the seed's ``APIClient_SharedSecret`` style). Either way the key is sent
    only to the client's own origin and is redacted from logs and errors.
    """

    credential_params: frozenset[str]  # (per key: its query parameter, if it has one)

    def __init__(
        self,
        key: str,
        *,
        header: str | None = None,
        param: str | None = None,
        prefix: str = "",
    ) -> None:
        if header is not None and param is not None:
            raise ValueError("give header= or param=, not both")
        self._key = checked_secret("key", key)
        self._param = param
        self._header = header or "X-API-Key"
        if param is None:
            check_header(self._header, prefix + key)
        self._value = prefix + key
        self.credential_params = frozenset({param}) if param else frozenset()

    @property
    def key(self) -> str:
        """The key itself (for code that must pass it on; never printed by apiclient)."""
        return self._key

    def secrets(self) -> frozenset[str]:
        """The key."""
        return frozenset({self._key})

    def apply(self, request: Request) -> Request:
        """Add the key as a header or a query parameter."""
        if self._param is not None:
            return self.with_param(request, self._param, self._value)
        return self.with_header(request, self._header, self._value)

    def __repr__(self) -> str:
        where = f"param={self._param!r}" if self._param else f"header={self._header!r}"
        return f"APIKey([redacted], {where})"
