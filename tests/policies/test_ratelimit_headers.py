import pytest

from apiclient import Response
from apiclient.policies.ratelimit_headers import is_rate_limited, server_pause

DATE = "Wed, 21 Oct 2015 07:28:00 GMT"  # epoch 1445412480


def pause(status: int, headers: dict[str, str], body: bytes = b"") -> float | None:
    return server_pause(Response(status, headers, body), wall_clock=lambda: 0.0)


def test_retry_after_on_429_503_and_403() -> None:
    assert pause(429, {"Retry-After": "5"}) == 5.0
    assert pause(503, {"Retry-After": "5"}) == 5.0
    assert pause(403, {"Retry-After": "5"}) == 5.0
    assert pause(500, {"Retry-After": "5"}) is None


def test_github_remaining_zero_waits_until_reset_by_the_server_date() -> None:
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1445412510", "Date": DATE}
    assert pause(200, headers) == 30.0
    assert pause(403, headers) == 30.0
    assert pause(200, {**headers, "X-RateLimit-Remaining": "12"}) is None


def test_retry_after_wins_over_reset() -> None:
    headers = {
        "Retry-After": "2",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": "1445412510",
        "Date": DATE,
    }
    assert pause(429, headers) == 2.0


def test_github_secondary_limit_without_retry_after_waits_a_minute() -> None:
    body = b'{"message": "You have exceeded a secondary rate limit. Please wait."}'
    assert pause(403, {}, body) == 60.0
    assert pause(403, {}, b'{"message": "Must have admin rights"}') is None


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ('"default";r=0;t=30', 30.0),
        ('"burst";r=5;t=1, "daily";r=0;t=3600', 3600.0),
        ('"default";r=10;t=30', None),
        ("garbage;;;", None),
    ],
)
def test_ietf_ratelimit_field(field: str, expected: float | None) -> None:
    assert pause(200, {"RateLimit": field, "RateLimit-Policy": '"default";q=100;w=60'}) == expected


def test_older_ietf_draft_fields() -> None:
    assert pause(200, {"RateLimit-Remaining": "0", "RateLimit-Reset": "12"}) == 12.0
    assert pause(200, {"RateLimit-Remaining": "0", "RateLimit-Reset": "soon"}) is None


def test_which_responses_are_rate_limits() -> None:
    assert is_rate_limited(Response(429))
    assert is_rate_limited(Response(403, {"Retry-After": "1"}))
    assert not is_rate_limited(Response(403))
    assert not is_rate_limited(Response(503, {"Retry-After": "1"}))


def test_a_transports_own_header_mapping_is_read_too() -> None:
    from multidict import CIMultiDict

    from apiclient.policies.ratelimit_headers import read_quota

    headers = CIMultiDict({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1445412510",
                           "Date": DATE})  # fmt: skip
    response = Response(200, headers)
    assert response.headers is headers  # (kept as it is, not copied into Headers)
    assert read_quota(response, wall_clock=lambda: 0.0).pause == 30.0
    assert read_quota(Response(200, CIMultiDict({"Date": DATE}))).remaining is None
