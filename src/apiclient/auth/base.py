"""The auth protocol, and a base class with the helpers every auth object needs.

The client authorises every attempt whose URL is on the client's own origin, and never one
on another origin: a redirect or a link elsewhere goes without credentials (rule R1).

Simple auth objects implement ``apply``. Auth that needs I/O (fetching or refreshing a
token) implements the generator methods of ``AuthBase`` instead: ``prepare`` may yield
effects (``Send`` a token request, ``Wait`` for another caller's refresh) before returning
the authorised request, and ``on_unauthorized`` may refresh after a 401 and return True to
have the request sent once more. The loop drives them with ``yield from``, so the same
code serves the sync and the async client.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable
from typing import Any, Protocol, cast, runtime_checkable

from apiclient.defaults import REDACTED
from apiclient.effects import Effect
from apiclient.models import Request, Response
from apiclient.policies.urls import set_query_param
from apiclient.policies.validation import check_header

AuthFlow = Generator[Effect, Any, Request]


@runtime_checkable
class Auth(Protocol):
    """What ``APIClient(auth=...)`` accepts."""

    #: Query parameters this auth adds (stripped from URLs that leave the origin).
    credential_params: frozenset[str]

    def apply(self, request: Request) -> Request:
        """Return ``request`` with credentials added; never mutate the one given."""
        ...


class AuthBase:
    """Convenience base: secret-free ``repr`` and helpers to add a header or a parameter."""

    credential_params: frozenset[str] = frozenset()

    def apply(self, request: Request) -> Request:
        """Return ``request`` with credentials added."""
        raise NotImplementedError

    def prepare(self, request: Request) -> AuthFlow:
        """Yield any effects needed (none by default), then return the authorised request."""
        return self.apply(request)
        yield  # a generator, so subclasses can yield effects

    def on_unauthorized(self, request: Request, response: Response) -> Generator[Effect, Any, bool]:
        """After a 401 to ``request``: refresh if possible; True to send it once more."""
        return False
        yield  # a generator, so subclasses can yield effects

    def secrets(self) -> frozenset[str]:
        """The credential strings this auth sends, to scrub from anything kept or shown.

        A server that echoes a token back in an error body must not put it in an
        exception; a subclass returns its keys, tokens and passwords here.
        """
        return frozenset()

    @staticmethod
    def with_header(request: Request, name: str, value: str) -> Request:
        """A copy of ``request`` with header ``name`` set to ``value``."""
        headers = request.headers.copy()
        headers[name] = value
        return Request(request.method, request.url, headers, request.body)

    @staticmethod
    def with_param(request: Request, name: str, value: str) -> Request:
        """A copy of ``request`` with ``name=value`` in its query string, replacing any other."""
        url = set_query_param(request.url, name, value)
        return Request(request.method, url, request.headers, request.body)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({REDACTED})"


def secrets_of(auth: object) -> frozenset[str]:
    """``auth.secrets()``, or nothing for an auth object that does not say (a plain ``apply``)."""
    known = getattr(auth, "secrets", None)
    if not callable(known):
        return frozenset()
    return frozenset(cast(Iterable[str], known()))


def checked_secret(name: str, value: str) -> str:
    """Validate a credential that will travel in a header; the error never echoes it."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty str")
    check_header("X-Credential", value)
    return value
