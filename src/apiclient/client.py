"""``APIClient``: subclass it, set ``BASE_URL``, add methods. The seed's API, on the core.

Configuration, the seed's hooks and request building live in ``ClientCore`` (shared with
``AsyncAPIClient``); this module adds the sync calls, each of which runs the request loop
through ``driver.run`` and the urllib3 transport.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from apiclient import driver
from apiclient._core import UNSET, ClientCore, RequestOptions, SharedSecretClient, _Unset
from apiclient.models import Response
from apiclient.multipart import FileSpec
from apiclient.pagination import Paginated
from apiclient.policies.pagination import Paginator
from apiclient.policies.retries import RetryPolicy
from apiclient.policies.timeouts import TimeoutLike
from apiclient.policies.urls import Params
from apiclient.streaming import StreamedResponse

if TYPE_CHECKING:
    from typing import Unpack

    from apiclient.transports.base import Transport


_Client = TypeVar("_Client", bound="APIClient")


class APIClient(ClientCore):
    """Base class for an API client library (sync; ``AsyncAPIClient`` is its asyncio twin).

    The constructor's arguments are documented on ``ClientCore``: ``rate_limit_lock``,
    ``encoding``, ``base_url``, ``auth``, ``timeout``, ``retries``, ``max_redirects``,
    ``headers``, ``transport`` (default ``Urllib3Transport``), ``verify``, ``ca_certs``,
    ``pool_maxsize``, ``max_body_bytes``, ``idempotency_keys``, ``adaptive_throttle``,
    ``cache``, ``on_request``, ``on_response``, ``user_agent``, ``clock`` and ``sleep``.
    """

    transport: Transport

    def _default_transport(self, pool_maxsize: int, verify: bool, ca_certs: str | None) -> Any:
        from apiclient.transports.urllib3 import Urllib3Transport

        return Urllib3Transport(pool_maxsize=pool_maxsize, verify=verify, ca_certs=ca_certs)

    def _default_sleep(self) -> Any:
        return time.sleep

    # -- the seed's API -------------------------------------------------------------------

    def call(self, path: str, params: Params | None = None, **more_params: Any) -> Any:
        """GET ``path`` with query parameters and return the decoded body (the seed's call).

        ``api.call('/echo', ping='pong')`` and ``api.call('/echo', params={'ping': 'pong'})``
        are the same request.
        """
        return self.request("GET", path, params=self._call_params(params, more_params))

    def _request(self, method: str, path: str, params: Params | None = None) -> Any:
        """The seed's internal entry point, kept for subclasses that call it."""
        return self.request(method, path, params=params)

    # -- verbs ----------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
        data: Mapping[str, Any] | bytes | str | None = None,
        files: Mapping[str, FileSpec] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: TimeoutLike | _Unset = UNSET,
        retries: RetryPolicy | int | _Unset = UNSET,
        max_body_bytes: int | None = None,
        idempotency_key: str | None = None,
        raw: bool = False,
    ) -> Any:
        """Send ``method path`` and return the decoded body (or the ``Response`` if ``raw``).

        ``json`` sends a JSON body; ``data`` a form (mapping) or raw bytes/str; ``files``
        a ``multipart/form-data`` upload (with ``data`` as its fields), streamed from disk
        (see ``apiclient.multipart``). ``timeout``, ``retries`` and ``max_body_bytes``
        override the client's for this call. ``idempotency_key`` sets the
        ``Idempotency-Key`` header, making a POST retryable. With ``raw=True`` the final
        ``Response`` is returned whatever its status; otherwise an error status raises and
        ``_handle_response`` makes the return value.
        """
        flow = self._call_flow(
            method, path, params, json, data, files, headers,
            timeout, retries, max_body_bytes, idempotency_key, raw,
        )  # fmt: skip
        return driver.run(flow, self.transport, self._sleep)

    def get(self, path: str, **options: Unpack[RequestOptions]) -> Any:
        """GET ``path``; see ``request`` for the options."""
        return self.request("GET", path, **options)

    def post(self, path: str, **options: Unpack[RequestOptions]) -> Any:
        """POST ``path`` (not retried unless it has an idempotency key)."""
        return self.request("POST", path, **options)

    def put(self, path: str, **options: Unpack[RequestOptions]) -> Any:
        """PUT ``path``."""
        return self.request("PUT", path, **options)

    def patch(self, path: str, **options: Unpack[RequestOptions]) -> Any:
        """PATCH ``path`` (not retried unless it has an idempotency key)."""
        return self.request("PATCH", path, **options)

    def delete(self, path: str, **options: Unpack[RequestOptions]) -> Any:
        """DELETE ``path``."""
        return self.request("DELETE", path, **options)

    def head(self, path: str, **options: Unpack[RequestOptions]) -> Any:
        """HEAD ``path``; returns None unless ``raw=True``."""
        return self.request("HEAD", path, **options)

    def stream(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        json: Any = None,
        data: Mapping[str, Any] | bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: TimeoutLike | _Unset = UNSET,
        retries: RetryPolicy | int | _Unset = UNSET,
        max_body_bytes: int | None = None,
    ) -> StreamedResponse:
        """Send a request and return its response with the body still unread.

        Use it as a context manager; ``iter_bytes()`` or ``save(path, progress=...)`` read
        the body in bounded memory. An error status raises as usual (with the error body).
        Redirects, retries, auth and rate limiting apply as for any call. ``timeout.total``
        bounds the wait for the response's headers; the body is then read at the caller's
        pace, each read bounded by ``timeout.read``.
        """
        request, flow = self._stream_start(
            method, path, params, json, data, headers, timeout, retries, max_body_bytes
        )
        response = driver.run(flow, self.transport, self._sleep)
        if response.status >= 400:
            response.data = StreamedResponse(response).read()
            response.stream = None
            self._check_status(response, request)
        return StreamedResponse(response)

    def paginate(
        self,
        path: str,
        params: Params | None = None,
        *,
        paginator: Paginator | None = None,
        max_pages: int | None = None,
        max_items: int | None = None,
        follow_other_origins: bool = False,
        headers: Mapping[str, str] | None = None,
        timeout: TimeoutLike | _Unset = UNSET,
        retries: RetryPolicy | int | _Unset = UNSET,
    ) -> Paginated:
        """Iterate lazily over the items of every page of ``GET path``.

        ``paginator`` (default: the class's ``PAGINATOR``, RFC 8288 ``Link`` headers) finds
        each page's items and the next page; ``.pages()`` on the result yields whole pages.
        ``max_pages`` / ``max_items`` stop early. Rate limiting, retries and auth apply to
        every page. A next-page URL on another origin raises ``PaginationError`` unless
        ``follow_other_origins=True``, which fetches it without credentials.
        """
        return Paginated(
            self,
            path,
            params,
            paginator or self.PAGINATOR,
            max_pages=max_pages,
            max_items=max_items,
            follow_other_origins=follow_other_origins,
            options={"headers": headers, "timeout": timeout, "retries": retries},
        )

    # -- plumbing -------------------------------------------------------------------------

    def _fetch_page(
        self, url: str, other_origins: bool, options: Mapping[str, Any]
    ) -> tuple[Any, Response]:
        flow = self._page_flow(url, other_origins, options)
        return driver.run(flow, self.transport, self._sleep)

    # -- lifecycle ------------------------------------------------------------------------

    def close(self) -> None:
        """Release every pooled connection; the client should not be used afterwards."""
        self.transport.close()

    def __enter__(self: _Client) -> _Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class APIClient_SharedSecret(SharedSecretClient, APIClient):
    """The seed's client for an API keyed by a shared secret in the query string.

    ``API_KEY_PARAM`` names the parameter; see ``SharedSecretClient``.
    """


__all__ = ["APIClient", "APIClient_SharedSecret", "RequestOptions"]
