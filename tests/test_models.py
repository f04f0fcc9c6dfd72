"""The values every layer passes around: requests are immutable, headers case-insensitive."""

from __future__ import annotations

import dataclasses
import pickle
from collections.abc import Iterator, Mapping

import pytest

from apiclient import Headers, Request, Response


def test_a_request_cannot_be_changed_in_place() -> None:
    request = Request("GET", "https://api.example/x")
    with pytest.raises(dataclasses.FrozenInstanceError):
        request.url = "https://elsewhere.example/"  # type: ignore[misc]
    assert request.url == "https://api.example/x"


def test_a_request_has_its_own_empty_headers_by_default() -> None:
    first, second = Request("GET", "https://a/"), Request("GET", "https://a/")
    first.headers["X-Trace"] = "1"
    assert "X-Trace" not in second.headers
    assert first.body is None


def test_a_changed_request_is_a_new_request() -> None:
    request = Request("POST", "https://a/x", Headers({"Accept": "application/json"}), b"{}")
    moved = dataclasses.replace(request, url="https://a/y")
    assert (moved.method, moved.url, moved.body) == ("POST", "https://a/y", b"{}")
    assert moved.headers is request.headers and request.url == "https://a/x"
    assert moved == Request("POST", "https://a/y", request.headers, b"{}")


class TransportHeaders(Mapping[str, str]):
    """A transport's own case-insensitive header mapping (not a dict, not ``Headers``)."""

    def __init__(self, **fields: str) -> None:
        self._fields = {name.lower(): value for name, value in fields.items()}

    def __getitem__(self, name: str) -> str:
        return self._fields[name.lower()]

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)


def test_a_response_keeps_a_transports_case_insensitive_headers_as_they_are() -> None:
    class OrderedHeaders(dict[str, str]):
        pass

    own = Headers({"Content-Type": "application/json"})
    assert Response(200, own).headers is own
    first, second = TransportHeaders(ETag="1"), TransportHeaders(ETag="2")
    assert Response(200, first).headers is first  # the first of its type is checked
    assert Response(200, second).headers is second  # the next ones are known
    plain = Response(200, {"Content-Type": "text/plain"})
    assert isinstance(plain.headers, Headers) and plain.headers["content-type"] == "text/plain"
    assert isinstance(Response(200, OrderedHeaders(a="1")).headers, Headers)  # dicts are copied
    assert Response(200, None).headers == {}


def test_a_response_pickles_even_when_its_headers_mapping_does_not() -> None:
    from multidict import CIMultiDict, CIMultiDictProxy  # aiohttp's header type

    headers = CIMultiDictProxy(CIMultiDict({"Content-Type": "application/json", "ETag": '"v1"'}))
    with pytest.raises(TypeError):
        pickle.dumps(headers)
    response = Response(404, headers, b'{"error": "no"}', "Not Found", "https://api.example/x")
    response.attempts = 2
    clone = pickle.loads(pickle.dumps(response))
    assert (clone.status, clone.data, clone.reason, clone.url, clone.attempts, clone.stream) == (
        404,
        b'{"error": "no"}',
        "Not Found",
        "https://api.example/x",
        2,
        None,
    )
    assert clone.headers == {"content-type": "application/json", "etag": '"v1"'}
    assert clone.headers["ETAG"] == '"v1"' and response.headers is headers  # original kept


def test_headers_joined_folds_a_repeated_name_into_one_value_in_first_spelling() -> None:
    headers = Headers.joined([("Vary", "Accept"), ("Set-Cookie", "a=1"), ("vary", "Origin")])
    assert headers["VARY"] == "Accept, Origin"
    assert list(headers) == ["Vary", "Set-Cookie"]
    assert headers.pairs() == (("Vary", "Accept, Origin"), ("Set-Cookie", "a=1"))


def test_headers_has_any_looks_names_up_in_lower_case() -> None:
    headers = Headers({"X-RateLimit-Remaining": "3"})
    assert headers.has_any(frozenset({"x-ratelimit-remaining", "ratelimit"}))
    assert not headers.has_any(frozenset({"ratelimit"}))
