"""The verbs (``get``, ``post``...), written once for both clients, and their types.

``get = verb("GET", doc)`` in a client class makes ``api.get(path, **options)``: it builds
the call's ``CallOptions`` and runs ``_call_flow`` through the client's ``_run`` (which
returns the value for ``APIClient`` and a coroutine for ``AsyncAPIClient``). The class
attribute is annotated with a protocol whose overloaded ``__call__`` is what type checkers
see: ``Verb`` for the sync client, ``AsyncVerb`` for the async one, and the ``request``
forms with a method first. ``Client.get`` on the class is a plain function (for
``help()``, ``inspect`` and ``typing.get_type_hints``); on an instance it is bound.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar, Unpack, overload

from apiclient.calls import NO_OPTIONS, CallOptions, RequestOptions

if TYPE_CHECKING:
    from apiclient._core import ClientCore
    from apiclient.models import Response, Result

T = TypeVar("T")


class Verb(Protocol):
    """``api.get(path, **options)`` on ``APIClient``: the decoded body, or ``model``."""

    @overload
    def __call__(
        self,
        path: str,
        *,
        model: type[T],
        with_response: Literal[True],
        **options: Unpack[RequestOptions],
    ) -> Result[T]: ...
    @overload
    def __call__(
        self,
        path: str,
        *,
        model: type[T],
        with_response: Literal[False] = False,
        **options: Unpack[RequestOptions],
    ) -> T: ...
    @overload
    def __call__(
        self, path: str, *, raw: Literal[True], **options: Unpack[RequestOptions]
    ) -> Response: ...
    @overload
    def __call__(
        self,
        path: str,
        *,
        model: None = None,
        raw: bool = False,
        with_response: bool = False,
        **options: Unpack[RequestOptions],
    ) -> Any: ...


class AsyncVerb(Protocol):
    """``await api.get(path, **options)`` on ``AsyncAPIClient``: ``Verb``, awaited."""

    @overload
    def __call__(
        self,
        path: str,
        *,
        model: type[T],
        with_response: Literal[True],
        **options: Unpack[RequestOptions],
    ) -> Coroutine[Any, Any, Result[T]]: ...
    @overload
    def __call__(
        self,
        path: str,
        *,
        model: type[T],
        with_response: Literal[False] = False,
        **options: Unpack[RequestOptions],
    ) -> Coroutine[Any, Any, T]: ...
    @overload
    def __call__(
        self, path: str, *, raw: Literal[True], **options: Unpack[RequestOptions]
    ) -> Coroutine[Any, Any, Response]: ...
    @overload
    def __call__(
        self,
        path: str,
        *,
        model: None = None,
        raw: bool = False,
        with_response: bool = False,
        **options: Unpack[RequestOptions],
    ) -> Coroutine[Any, Any, Any]: ...


class RequestVerb(Protocol):
    """``api.request(method, path, **options)`` on ``APIClient``."""

    @overload
    def __call__(
        self,
        method: str,
        path: str,
        *,
        model: type[T],
        with_response: Literal[True],
        **options: Unpack[RequestOptions],
    ) -> Result[T]: ...
    @overload
    def __call__(
        self,
        method: str,
        path: str,
        *,
        model: type[T],
        with_response: Literal[False] = False,
        **options: Unpack[RequestOptions],
    ) -> T: ...
    @overload
    def __call__(
        self, method: str, path: str, *, raw: Literal[True], **options: Unpack[RequestOptions]
    ) -> Response: ...
    @overload
    def __call__(
        self,
        method: str,
        path: str,
        *,
        model: None = None,
        raw: bool = False,
        with_response: bool = False,
        **options: Unpack[RequestOptions],
    ) -> Any: ...


class AsyncRequestVerb(Protocol):
    """``await api.request(method, path, **options)`` on ``AsyncAPIClient``."""

    @overload
    def __call__(
        self,
        method: str,
        path: str,
        *,
        model: type[T],
        with_response: Literal[True],
        **options: Unpack[RequestOptions],
    ) -> Coroutine[Any, Any, Result[T]]: ...
    @overload
    def __call__(
        self,
        method: str,
        path: str,
        *,
        model: type[T],
        with_response: Literal[False] = False,
        **options: Unpack[RequestOptions],
    ) -> Coroutine[Any, Any, T]: ...
    @overload
    def __call__(
        self, method: str, path: str, *, raw: Literal[True], **options: Unpack[RequestOptions]
    ) -> Coroutine[Any, Any, Response]: ...
    @overload
    def __call__(
        self,
        method: str,
        path: str,
        *,
        model: None = None,
        raw: bool = False,
        with_response: bool = False,
        **options: Unpack[RequestOptions],
    ) -> Coroutine[Any, Any, Any]: ...


class _BoundVerb:
    """A verb bound to a client: ``api.get``."""

    __slots__ = ("_client", "_method")

    def __init__(self, client: ClientCore, method: str) -> None:
        self._client = client
        self._method = method

    def __call__(self, path: str, **options: Any) -> Any:
        client = self._client
        call = CallOptions(**options) if options else NO_OPTIONS
        return client._run(client._call_flow(self._method, path, call))

    def __repr__(self) -> str:
        return f"<{self._method.lower()} of {self._client!r}>"


class _BoundRequest:
    """``api.request``, bound to a client."""

    __slots__ = ("_client",)

    def __init__(self, client: ClientCore) -> None:
        self._client = client

    def __call__(self, method: str, path: str, **options: Any) -> Any:
        client = self._client
        call = CallOptions(**options) if options else NO_OPTIONS
        return client._run(client._call_flow(method, path, call))

    def __repr__(self) -> str:
        return f"<request of {self._client!r}>"


class _VerbDescriptor:
    """The class attribute behind a verb (see the module docstring)."""

    def __init__(self, method: str | None, doc: str) -> None:
        self._method = method
        self.__doc__ = doc
        self._function = _function_for(method, doc)

    def __get__(self, client: ClientCore | None, owner: type | None = None) -> Any:
        if client is None:
            return self._function
        if self._method is None:
            return _BoundRequest(client)
        return _BoundVerb(client, self._method)


def verb(method: str, doc: str) -> Any:
    """The verb ``method`` (``"GET"``...) for a client class, documented by ``doc``."""
    return _VerbDescriptor(method, doc)


def request_verb(doc: str) -> Any:
    """``request(method, path, **options)`` for a client class."""
    return _VerbDescriptor(None, doc)


def _function_for(method: str | None, doc: str) -> Any:
    """The plain function a verb is, seen on the class (``Client.get(api, path)`` works)."""
    if method is None:

        def request(client: Any, method: str, path: str, **options: Any) -> Any:
            return _BoundRequest(client)(method, path, **options)

        request.__doc__ = doc
        return request

    def call(client: Any, path: str, **options: Any) -> Any:
        return _BoundVerb(client, method)(path, **options)

    call.__name__ = call.__qualname__ = method.lower()
    call.__doc__ = doc
    return call
