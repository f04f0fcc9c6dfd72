"""The verbs (``get``, ``post``...), written once for both clients, and their types.

``get = verb("GET", doc)`` in a client class makes ``api.get(path, **options)``: it builds
the call's ``CallOptions`` and runs ``_call_flow`` through the client's ``_run`` (which
returns the value for ``APIClient`` and a coroutine for ``AsyncAPIClient``). The class
attribute is annotated with a protocol whose overloaded ``__call__`` is what type checkers
see: ``Verb`` for the sync client, ``AsyncVerb`` for the async one, and the ``request``
forms with a method first. At run time a verb is a plain function, bound as any method
(``help()``, ``inspect`` and ``typing.get_type_hints`` see it as one).
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar, Unpack, overload

from apiclient.calls import NO_OPTIONS, RequestOptions, call_options

if TYPE_CHECKING:
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


def verb(method: str, doc: str) -> Any:
    """The verb ``method`` (``"GET"``...) for a client class, documented by ``doc``.

    A plain function, so that Python binds it as it binds any method (at no cost); the
    class attribute's annotation (``Verb``, ``AsyncVerb``) is its type.
    """

    def call(client: Any, path: str, **options: Any) -> Any:
        call = call_options(options) if options else NO_OPTIONS
        return client._run(client._call_flow(method, path, call))

    call.__name__ = call.__qualname__ = method.lower()
    call.__doc__ = doc
    return call


def request_verb(doc: str) -> Any:
    """``request(method, path, **options)`` for a client class."""

    def request(client: Any, method: str, path: str, **options: Any) -> Any:
        call = call_options(options) if options else NO_OPTIONS
        return client._run(client._call_flow(method, path, call))

    request.__doc__ = doc
    return request
