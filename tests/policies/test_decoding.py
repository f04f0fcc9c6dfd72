import pytest

from apiclient import DecodeError, Response
from apiclient.policies.decoding import decode_body


def response(body: bytes, content_type: str | None, status: int = 200) -> Response:
    headers = {"Content-Type": content_type} if content_type else {}
    return Response(status, headers, body)


@pytest.mark.parametrize("ctype", ["application/json", "application/problem+json; charset=utf-8"])
def test_json_by_content_type(ctype: str) -> None:
    assert decode_body(response(b'{"a": [1]}', ctype)) == {"a": [1]}


def test_json_in_a_declared_charset() -> None:
    body = '{"name": "é"}'.encode("latin-1")
    assert decode_body(response(body, "application/json; charset=latin-1")) == {"name": "é"}


def test_text_and_bytes() -> None:
    assert decode_body(response(b"hi", "text/plain")) == "hi"
    assert decode_body(response(b"\x00\x01", "application/octet-stream")) == b"\x00\x01"
    assert decode_body(response(b"\x00\x01", None)) == b"\x00\x01"


def test_text_uses_the_fallback_encoding_without_a_charset() -> None:
    assert decode_body(response("é".encode("latin-1"), "text/plain"), "latin-1") == "é"


@pytest.mark.parametrize("status", [204, 304])
def test_no_content_gives_none(status: int) -> None:
    assert decode_body(response(b"", "application/json", status)) is None


def test_empty_json_body_gives_none() -> None:
    assert decode_body(response(b"", "application/json")) is None


def test_bad_json_raises_decode_error_with_status_and_snippet() -> None:
    with pytest.raises(DecodeError) as caught:
        decode_body(response(b"<html>oops</html>" + b"x" * 1000, "application/json", 502))
    assert caught.value.status == 502
    assert caught.value.snippet.startswith("<html>oops")
    assert len(caught.value.snippet) <= 120


def test_deep_nesting_is_a_decode_error_not_a_recursion_error() -> None:
    with pytest.raises(DecodeError):
        decode_body(response(b"[" * 200_000, "application/json"))


@pytest.mark.parametrize(
    "body",
    [
        b'\xef\xbb\xbf{"a": "\xc3\xa9"}',  # UTF-8 with a byte order mark
        '{"a": "é"}'.encode("utf-16-le"),  # BOM-less UTF-16, which older servers send
        '{"a": "é"}'.encode("utf-32"),
    ],
)
def test_json_without_a_charset_in_other_unicode_forms(body: bytes) -> None:
    assert decode_body(response(body, "application/json")) == {"a": "é"}


def test_json_without_a_charset_is_utf8() -> None:
    assert decode_body(response('{"a": "é"}'.encode(), "application/json")) == {"a": "é"}
