"""GraphQL clients: ``query(document, variables=, model=)`` over the whole framework.

    class GitHubGraphQL(GraphQLClient):
        BASE_URL = "https://api.github.com/"
        ENDPOINT = "graphql"

    api.query("query($login: String!) { user(login: $login) { name } }",
              variables={"login": "shazow"}, model=UserData)

A query is a JSON POST of ``{"query", "variables", "operationName"}``. GraphQL servers
answer errors in a 200: an ``errors`` member raises ``GraphQLError`` (``.errors``,
``.data``, ``.code``, ``.path``), except a rate-limit error (``RATE_LIMITED``,
``THROTTLED``, ``extensions.code`` of those dialects), which is retried like a 429, after
the server's wait. A query is safe to repeat, so it is retried as a GET would be; a
mutation is not (only after a rate limit, which refused it). The value returned is the
response's ``data`` (built into ``model=``). ``paginate_query`` walks a connection through
``pageInfo { hasNextPage endCursor }``. Auth, rate limits, timeouts and observers apply
as for any call of ``APIClient`` (or ``AsyncAPIClient``, for ``AsyncGraphQLClient``).
"""

from __future__ import annotations

import re
from collections.abc import Coroutine, Mapping
from dataclasses import replace
from typing import Any, ClassVar, TypeVar, overload

from apiclient._core import ClientCore
from apiclient.aio import AsyncAPIClient
from apiclient.calls import CallOptions
from apiclient.client import APIClient
from apiclient.errors import GraphQLError
from apiclient.models import Request, Response
from apiclient.pagination import AsyncPaginated, Paginated
from apiclient.policies.decoding import decode_body, is_json_type
from apiclient.policies.pagination import GraphQLConnection
from apiclient.policies.retries import RetryPolicy

T = TypeVar("T")

#: Error codes GraphQL servers use for "rate limited" (GitHub's type, Shopify's and
#: Apollo's extensions.code, and the common spellings).
RATE_LIMIT_CODES = frozenset(
    {"RATE_LIMITED", "RATE_LIMIT_EXCEEDED", "THROTTLED", "TOO_MANY_REQUESTS", "MAX_COST_EXCEEDED"}
)
_OPERATION = re.compile(r"\A(?:\s|,|#[^\n]*\n?)*(query|mutation|subscription)\b")


def operation_kind(document: str) -> str:
    """``"query"``, ``"mutation"`` or ``"subscription"``: the first operation's kind."""
    found = _OPERATION.match(document)
    return found.group(1) if found else "query"  # a bare "{ ... }" is a query


def rate_limited(response: Response) -> bool:
    """Whether a GraphQL response's errors say the request was refused by a rate limit."""
    if response.status >= 400 or not response.data or b"errors" not in response.data:
        return False
    try:
        body = decode_body(response)
    except ValueError:
        return False
    errors = body.get("errors") if isinstance(body, Mapping) else None
    if not isinstance(errors, list):
        return False
    return any(_code_of(error) in RATE_LIMIT_CODES for error in errors)


def _code_of(error: Any) -> str | None:
    if not isinstance(error, Mapping):
        return None
    extensions = error.get("extensions")
    code = extensions.get("code") if isinstance(extensions, Mapping) else None
    code = code if isinstance(code, str) else error.get("type")
    return code.upper() if isinstance(code, str) else None


class _GraphQL(ClientCore):
    """What both GraphQL clients add to their client: the endpoint, errors, data, retries."""

    #: The endpoint, relative to ``BASE_URL`` ("" when ``BASE_URL`` is the endpoint).
    ENDPOINT: ClassVar[str] = ""

    @property
    def _endpoint(self) -> str:
        """Where operations are posted: ``ENDPOINT``, or ``BASE_URL`` exactly as given."""
        return self.ENDPOINT or self.base_url

    def _raise_for_status(self, response: Response, request: Request) -> None:
        """HTTP errors as usual; then ``errors`` in the body raise ``GraphQLError``."""
        super()._raise_for_status(response, request)
        if not response.data or not is_json_type(response.content_type):
            return
        body = decode_body(response, self.encoding)
        errors = body.get("errors") if isinstance(body, Mapping) else None
        if errors:
            raise GraphQLError(
                _summary(errors),
                errors=errors if isinstance(errors, list) else [errors],
                data=body.get("data"),
                response=response,
            )

    def _handle_response(self, response: Response) -> Any:
        """The response's ``data``."""
        body = super()._handle_response(response)
        return body.get("data") if isinstance(body, Mapping) else body

    def _operation(
        self, document: str, variables: Mapping[str, Any] | None, name: str | None, model: Any
    ) -> CallOptions:
        """The call for one operation: its JSON body, its model and its retry policy."""
        payload: dict[str, Any] = {"query": document}
        if variables:
            payload["variables"] = dict(variables)
        if name:
            payload["operationName"] = name
        return CallOptions(json=payload, model=model, retries=self._retries_for(document))

    def _retries_for(self, document: str) -> RetryPolicy:
        """This client's policy; for a query, POST counts as safe to repeat."""
        policy = self.retries
        methods = (
            policy.methods | {"POST"} if operation_kind(document) == "query" else policy.methods
        )
        return replace(policy, methods=methods, refused_if=rate_limited)

    def _query_pages(
        self,
        document: str,
        variables: Mapping[str, Any] | None,
        connection: str,
        cursor_variable: str,
        options: Mapping[str, Any],
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {"query": document, "variables": dict(variables or {})}
        return self._page_options(
            {
                "method": "POST",
                "json": payload,
                "paginator": GraphQLConnection(connection, cursor_variable),
                "retries": self._retries_for(document),
                **options,
            }
        )


def _summary(errors: Any) -> str:
    """The first error's message, and how many more there are."""
    first = errors[0] if isinstance(errors, list) and errors else errors
    message = first.get("message") if isinstance(first, Mapping) else None
    text = str(message or first)[:200]
    more = len(errors) - 1 if isinstance(errors, list) else 0
    return f"GraphQL error: {text}" + (f" (and {more} more)" if more else "")


class GraphQLClient(_GraphQL, APIClient):
    """A GraphQL API client (sync): subclass it, set ``BASE_URL`` (and ``ENDPOINT``)."""

    @overload
    def query(
        self,
        document: str,
        variables: Mapping[str, Any] | None = None,
        *,
        model: type[T],
        operation_name: str | None = None,
    ) -> T: ...
    @overload
    def query(
        self,
        document: str,
        variables: Mapping[str, Any] | None = None,
        *,
        model: None = None,
        operation_name: str | None = None,
    ) -> Any: ...
    def query(
        self,
        document: str,
        variables: Mapping[str, Any] | None = None,
        *,
        model: Any = None,
        operation_name: str | None = None,
    ) -> Any:
        """Run a query or mutation; return its ``data`` (built into ``model``)."""
        call = self._operation(document, variables, operation_name, model)
        return self._run(self._call_flow("POST", self._endpoint, call))

    @overload
    def paginate_query(
        self,
        document: str,
        variables: Mapping[str, Any] | None = None,
        *,
        connection: str,
        model: type[T],
        cursor_variable: str = "after",
        **options: Any,
    ) -> Paginated[T]: ...
    @overload
    def paginate_query(
        self,
        document: str,
        variables: Mapping[str, Any] | None = None,
        *,
        connection: str,
        model: None = None,
        cursor_variable: str = "after",
        **options: Any,
    ) -> Paginated[Any]: ...
    def paginate_query(
        self,
        document: str,
        variables: Mapping[str, Any] | None = None,
        *,
        connection: str,
        model: Any = None,
        cursor_variable: str = "after",
        **options: Any,
    ) -> Paginated[Any]:
        """Every node of ``connection`` (a dotted path in ``data``), page after page.

        The query takes the cursor as ``$after`` (or ``cursor_variable``) and asks for
        ``pageInfo { hasNextPage endCursor }`` and ``nodes`` (or ``edges { node }``).
        ``max_pages`` and ``max_items`` bound the walk.
        """
        walk = self._query_pages(document, variables, connection, cursor_variable, options)
        return Paginated(self, self._endpoint, None, model=model, **walk)


class AsyncGraphQLClient(_GraphQL, AsyncAPIClient):
    """``GraphQLClient`` for asyncio: ``await api.query(...)``, ``async for`` pages."""

    @overload
    def query(
        self,
        document: str,
        variables: Mapping[str, Any] | None = None,
        *,
        model: type[T],
        operation_name: str | None = None,
    ) -> Coroutine[Any, Any, T]: ...
    @overload
    def query(
        self,
        document: str,
        variables: Mapping[str, Any] | None = None,
        *,
        model: None = None,
        operation_name: str | None = None,
    ) -> Coroutine[Any, Any, Any]: ...
    def query(
        self,
        document: str,
        variables: Mapping[str, Any] | None = None,
        *,
        model: Any = None,
        operation_name: str | None = None,
    ) -> Coroutine[Any, Any, Any]:
        """Run a query or mutation; await its ``data`` (built into ``model``)."""
        call = self._operation(document, variables, operation_name, model)
        return self._run(self._call_flow("POST", self._endpoint, call))

    @overload
    def paginate_query(
        self,
        document: str,
        variables: Mapping[str, Any] | None = None,
        *,
        connection: str,
        model: type[T],
        cursor_variable: str = "after",
        **options: Any,
    ) -> AsyncPaginated[T]: ...
    @overload
    def paginate_query(
        self,
        document: str,
        variables: Mapping[str, Any] | None = None,
        *,
        connection: str,
        model: None = None,
        cursor_variable: str = "after",
        **options: Any,
    ) -> AsyncPaginated[Any]: ...
    def paginate_query(
        self,
        document: str,
        variables: Mapping[str, Any] | None = None,
        *,
        connection: str,
        model: Any = None,
        cursor_variable: str = "after",
        **options: Any,
    ) -> AsyncPaginated[Any]:
        """``async for node in api.paginate_query(...)``; see ``GraphQLClient.paginate_query``."""
        walk = self._query_pages(document, variables, connection, cursor_variable, options)
        return AsyncPaginated(self, self._endpoint, None, model=model, **walk)
