"""One call's options: what the verbs take, as one immutable value.

``api.get(path, params=..., timeout=..., model=Repo)`` becomes a ``CallOptions``: the
request's parts (``params``, ``json``, ``data``, ``files``, ``headers``), this call's
overrides of the client's settings (``timeout``, ``retries``, ``max_body_bytes``,
``idempotency_key``) and how the call ends (``model``, ``raw``, ``with_response``).
``RequestOptions`` is the same list as a ``TypedDict``, for ``**options`` signatures
(``PageOptions`` is ``paginate``'s).
``encode_body`` turns ``json`` / ``data`` / ``files`` into bytes and their headers.
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import Mapping
from enum import Enum
from typing import Any, NamedTuple, TypedDict

from apiclient.multipart import FileSpec, MultipartBody
from apiclient.policies.retries import RetryPolicy
from apiclient.policies.timeouts import TimeoutLike
from apiclient.policies.urls import Params, encode_params


class _Unset(Enum):
    UNSET = 0


#: "Not given": the client's own setting applies (``timeout=None`` means "no limit").
UNSET = _Unset.UNSET

FormData = Mapping[str, Any] | bytes | str


class RequestOptions(TypedDict, total=False):
    """Keyword arguments every verb accepts (see ``APIClient.request``)."""

    params: Params | None
    json: Any
    data: FormData | None
    files: Mapping[str, FileSpec] | None
    headers: Mapping[str, str] | None
    timeout: TimeoutLike | _Unset
    retries: RetryPolicy | int | _Unset
    max_body_bytes: int | None
    idempotency_key: str | None


class PageOptions(TypedDict, total=False):
    """Keyword arguments ``paginate`` accepts besides ``params`` and ``model``."""

    paginator: Any  # a Paginator (policies.pagination)
    method: str
    json: Any
    max_pages: int | None
    max_items: int | None
    follow_other_origins: bool
    headers: Mapping[str, str] | None
    timeout: TimeoutLike | _Unset
    retries: RetryPolicy | int | _Unset


class EventOptions(TypedDict, total=False):
    """Keyword arguments ``events`` accepts besides ``model`` (see ``APIClient.events``)."""

    params: Params | None
    json: Any
    data: FormData | None
    headers: Mapping[str, str] | None
    timeout: TimeoutLike | _Unset
    retries: RetryPolicy | int | _Unset
    reconnect: bool
    max_reconnects: int
    default_retry: float
    last_event_id: str | None
    max_event_bytes: int
    max_line_bytes: int


_EVENT_RULES = {
    "reconnect": False,
    "max_reconnects": 3,
    "default_retry": 3.0,
    "last_event_id": None,
    "max_event_bytes": 1024 * 1024,
    "max_line_bytes": 1024 * 1024,
}
#: An event stream has no total size: each event is bounded instead (``max_event_bytes``).
_UNBOUNDED = 2**62


def event_options(
    method: str, options: Mapping[str, Any], model: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``events()``'s options, split: those of the opening ``stream()``, and the stream's rules."""
    unknown = set(options) - set(EventOptions.__annotations__)
    if unknown:
        raise TypeError(f"events() got unexpected keyword arguments {sorted(unknown)}")
    rules = {name: options.get(name, default) for name, default in _EVENT_RULES.items()}
    rules["model"] = model
    if rules["reconnect"] and method.upper() != "GET":
        raise ValueError("reconnect=True resumes GET streams only (a resent body may repeat work)")
    opening = {k: v for k, v in options.items() if k not in _EVENT_RULES}
    opening["max_body_bytes"] = _UNBOUNDED
    return opening, rules


def with_headers(opening: Mapping[str, Any], extra: Mapping[str, str]) -> dict[str, Any]:
    """``opening`` with ``extra`` headers under the caller's own (the caller's win)."""
    return {**opening, "headers": {**extra, **(opening.get("headers") or {})}}


class CallOptions(NamedTuple):
    """Everything one call was asked to do beyond its method and path (immutable).

    A named tuple: made in well under a microsecond, which every call with options pays.
    """

    params: Params | None = None
    json: Any = None
    data: FormData | None = None
    files: Mapping[str, FileSpec] | None = None
    headers: Mapping[str, str] | None = None
    timeout: TimeoutLike | _Unset = UNSET
    retries: RetryPolicy | int | _Unset = UNSET
    max_body_bytes: int | None = None
    idempotency_key: str | None = None
    #: The type the body is made into (None: the decoded body as ``_handle_response`` gives it).
    model: Any = None
    #: Return the ``Response`` itself, whatever its status.
    raw: bool = False
    #: Return ``Result(value, response)``: the value and the headers, errors still raised.
    with_response: bool = False

    @property
    def overrides_settings(self) -> bool:
        """Whether this call changes the client's timeout, retries or body limit."""
        unset = self.timeout is UNSET and self.retries is UNSET
        return not unset or self.max_body_bytes is not None


def call_options(options: Mapping[str, Any]) -> CallOptions:
    """The ``CallOptions`` of a verb's keyword arguments (``NO_OPTIONS`` for none)."""
    if not options:
        return NO_OPTIONS
    call = CallOptions(**options)
    if call.raw and (call.model is not None or call.with_response):
        raise TypeError("raw=True returns the Response itself: no model= or with_response=")
    return call


#: A call with nothing but defaults (``api.get(path)``): made once, shared.
NO_OPTIONS = CallOptions()


def encode_body(
    json: Any, data: FormData | None, files: Mapping[str, FileSpec] | None, encoding: str
) -> tuple[bytes | MultipartBody | None, dict[str, str]]:
    """The request body for ``json`` / ``data`` / ``files`` and the headers that describe it.

    ``json`` and a form cannot go together (a request has one body): ``TypeError``.
    """
    if json is not None and (data is not None or files is not None):
        raise TypeError("give json= or data=/files=, not both: one body per request")
    if files is not None:
        if data is not None and not isinstance(data, Mapping):
            raise TypeError("with files=, data= must be a mapping of form fields")
        body = MultipartBody(data, files)
        return body, {"Content-Type": body.content_type, "Content-Length": str(len(body))}
    if json is not None:
        encoded = jsonlib.dumps(json, separators=(",", ":"), ensure_ascii=False).encode()
        return encoded, {"Content-Type": "application/json"}
    if isinstance(data, (bytes, str)):
        return (data.encode(encoding) if isinstance(data, str) else data), {}
    if data is not None:
        form = encode_params(data).encode("ascii")
        return form, {"Content-Type": "application/x-www-form-urlencoded"}
    return None, {}
