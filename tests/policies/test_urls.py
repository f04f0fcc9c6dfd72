import pytest

from apiclient.policies.urls import (
    BaseURL,
    add_query,
    encode_params,
    origin_of,
    path_segment,
    set_query_param,
)


@pytest.mark.parametrize("base", ["https://h/v1/", "https://h/v1"])
@pytest.mark.parametrize("path", ["/users", "users"])
def test_join_gives_exactly_one_slash(base: str, path: str) -> None:
    assert BaseURL.parse(base).join(path) == "https://h/v1/users"


def test_join_keeps_a_query_written_in_the_path() -> None:
    assert BaseURL.parse("https://h/").join("/search?q=x") == "https://h/search?q=x"


def test_join_percent_encodes_unicode_and_spaces() -> None:
    assert BaseURL.parse("https://h/").join("/a b/é") == "https://h/a%20b/%C3%A9"


@pytest.mark.parametrize("path", ["../admin", "/a/../../admin", "a/./b", "%2e%2e/admin"])
def test_join_refuses_dot_segments(path: str) -> None:
    with pytest.raises(ValueError, match="segments"):
        BaseURL.parse("https://h/v1/").join(path)


def test_absolute_url_must_lie_under_the_base() -> None:
    base = BaseURL.parse("https://h/v1/")
    assert base.join("https://h/v1/users?page=2") == "https://h/v1/users?page=2"
    with pytest.raises(ValueError, match="under BASE_URL"):
        base.join("https://evil.example/v1/users")
    with pytest.raises(ValueError, match="under BASE_URL"):
        base.join("https://h/v2/users")


@pytest.mark.parametrize("path", ["/a\r\nX: y", "/a\x00", "/a b\n"])
def test_join_refuses_control_characters(path: str) -> None:
    with pytest.raises(ValueError):
        BaseURL.parse("https://h/").join(path)


@pytest.mark.parametrize(
    "base", ["ftp://h/", "https:///nohost", "https://h/?q=1", "https://h/#frag", "h/v1"]
)
def test_base_url_must_be_plain_http(base: str) -> None:
    with pytest.raises(ValueError):
        BaseURL.parse(base)


def test_params_encoding_lists_booleans_unicode_and_none() -> None:
    query = encode_params({"a": [1, 2], "yes": True, "no": False, "skip": None, "s": "é x&y"})
    assert query == "a=1&a=2&yes=true&no=false&s=%C3%A9+x%26y"


def test_params_may_be_pairs() -> None:
    assert encode_params([("a", 1), ("a", 2)]) == "a=1&a=2"


def test_add_query_appends_with_the_right_separator() -> None:
    assert add_query("https://h/x", "a=1") == "https://h/x?a=1"
    assert add_query("https://h/x?b=2", "a=1") == "https://h/x?b=2&a=1"
    assert add_query("https://h/x", "") == "https://h/x"


def test_origin_fills_default_ports_and_lowercases() -> None:
    assert origin_of("HTTPS://H.example/x") == ("https", "h.example", 443)
    assert origin_of("http://h:8080/") == ("http", "h", 8080)
    assert origin_of("https://h/") != origin_of("http://h/")


def test_path_segment_encodes_one_segment() -> None:
    assert path_segment("a/b?c#d") == "a%2Fb%3Fc%23d"
    assert path_segment("@evil.example") == "%40evil.example"
    for bad in ("", ".", ".."):
        with pytest.raises(ValueError):
            path_segment(bad)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://a.example/x", "https://a.example/x?access_token=new"),
        ("https://a.example/x?after=QQ", "https://a.example/x?after=QQ&access_token=new"),
        (
            "https://a.example/x?access_token=old&after=QQ&access_token=older",
            "https://a.example/x?after=QQ&access_token=new",
        ),
        (
            "https://a.example/x?access_tokens=keep",
            "https://a.example/x?access_tokens=keep&access_token=new",
        ),
    ],
)
def test_set_query_param_replaces_every_earlier_value(url: str, expected: str) -> None:
    assert set_query_param(url, "access_token", "new") == expected
