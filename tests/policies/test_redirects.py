import pytest

from apiclient import RedirectError, Request, Response, TooManyRedirects
from apiclient.models import Headers
from apiclient.policies.redirects import RedirectPolicy

POLICY = RedirectPolicy()
HEADERS = Headers(
    {
        "Authorization": "Bearer s3cret",
        "Cookie": "session=s3cret",
        "Proxy-Authorization": "Basic s3cret",
        "X-API-Key": "s3cret",
        "Accept": "application/json",
        "Content-Type": "application/json",
    }
)


def redirect(code: int, location: str) -> Response:
    return Response(code, {"Location": location})


def follow(request: Request, code: int, location: str, **kwargs: object) -> Request:
    result = POLICY.next_request(request, redirect(code, location), 0, **kwargs)  # type: ignore[arg-type]
    assert result is not None
    return result


def test_same_origin_keeps_every_header() -> None:
    request = Request("GET", "https://api.example/a", HEADERS)
    nxt = follow(request, 302, "/b")
    assert nxt.url == "https://api.example/b"
    assert dict(nxt.headers) == dict(HEADERS)


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/b", "https://api.example:8443/b", "http://api.example:443/b"],
)
def test_cross_origin_keeps_only_safe_headers(target: str) -> None:
    request = Request("GET", "https://api.example/a", HEADERS)
    if target.startswith("http:"):
        with pytest.raises(RedirectError):
            follow(request, 302, target)
        return
    nxt = follow(request, 302, target)
    assert set(nxt.headers) == {"Accept", "Content-Type"}


def test_cross_origin_drops_auth_query_parameters() -> None:
    request = Request("GET", "https://api.example/a?key=s3cret&page=2")
    nxt = follow(
        request,
        302,
        "https://cdn.example/b?key=s3cret&page=2",
        credential_params=frozenset({"key"}),
    )
    assert nxt.url == "https://cdn.example/b?page=2"


def test_303_becomes_get_without_body() -> None:
    request = Request("POST", "https://h/a", Headers({"Content-Type": "application/json"}), b"{}")
    nxt = follow(request, 303, "/done")
    assert (nxt.method, nxt.body, "Content-Type" in nxt.headers) == ("GET", None, False)


@pytest.mark.parametrize("code", [307, 308])
def test_307_and_308_keep_method_and_body(code: int) -> None:
    request = Request("POST", "https://h/a", Headers(), b"payload")
    nxt = follow(request, code, "/b")
    assert (nxt.method, nxt.body) == ("POST", b"payload")


@pytest.mark.parametrize("code", [301, 302])
def test_301_302_turn_post_into_get_but_keep_put(code: int) -> None:
    assert follow(Request("POST", "https://h/a", body=b"x"), code, "/b").method == "GET"
    assert follow(Request("PUT", "https://h/a", body=b"x"), code, "/b").body == b"x"


def test_not_a_redirect_or_no_location() -> None:
    request = Request("GET", "https://h/a")
    assert POLICY.next_request(request, Response(200), 0) is None
    assert POLICY.next_request(request, Response(302), 0) is None
    assert RedirectPolicy(max_redirects=0).next_request(request, redirect(302, "/b"), 0) is None


def test_limit() -> None:
    with pytest.raises(TooManyRedirects):
        RedirectPolicy(max_redirects=2).next_request(
            Request("GET", "https://h/"), redirect(302, "/"), 2
        )


@pytest.mark.parametrize(
    "location",
    [
        "ftp://h/file",
        "javascript:alert(1)",
        "file:///etc/passwd",
        "http://h/downgrade",
        "/" + "a" * 9000,
    ],
)
def test_refused_locations(location: str) -> None:
    with pytest.raises(RedirectError):
        follow(Request("GET", "https://h/a"), 302, location)


def test_fragment_is_dropped() -> None:
    assert follow(Request("GET", "https://h/a"), 302, "/b#frag").url == "https://h/b"
