import pytest

from apiclient import ConnectError, ReadTimeout, Request, Response, RetryPolicy
from apiclient.models import Headers
from apiclient.policies.ratelimit_headers import retry_after_seconds

GET = Request("GET", "https://h/x")
POST = Request("POST", "https://h/x")
KEYED_POST = Request("POST", "https://h/x", Headers({"Idempotency-Key": "k1"}))
ALWAYS_MAX = RetryPolicy(jitter=lambda: 1.0)


def status(code: int, **headers: str) -> Response:
    return Response(code, {k.replace("_", "-"): v for k, v in headers.items()})


@pytest.mark.parametrize("code", [429, 502, 503, 504])
def test_idempotent_requests_retry_on_retryable_statuses(code: int) -> None:
    assert ALWAYS_MAX.delay_after_response(GET, status(code), 0) == 0.5


@pytest.mark.parametrize("code", [200, 400, 401, 403, 404, 422, 500])
def test_other_statuses_are_final(code: int) -> None:
    assert ALWAYS_MAX.delay_after_response(GET, status(code), 0) is None


def test_post_is_not_retried_on_503_unless_it_has_an_idempotency_key() -> None:
    assert ALWAYS_MAX.delay_after_response(POST, status(503), 0) is None
    assert ALWAYS_MAX.delay_after_response(KEYED_POST, status(503), 0) == 0.5


def test_backoff_is_exponential_capped_and_jittered() -> None:
    policy = RetryPolicy(backoff_factor=1, max_backoff=5, jitter=lambda: 1.0)
    assert [policy.backoff(n) for n in range(1, 6)] == [1, 2, 4, 5, 5]
    assert RetryPolicy(jitter=lambda: 0.25).backoff(3) == 0.25 * 2.0


def test_retries_stop_after_max_retries() -> None:
    policy = RetryPolicy(max_retries=2, jitter=lambda: 1.0)
    assert policy.delay_after_response(GET, status(503), 1) is not None
    assert policy.delay_after_response(GET, status(503), 2) is None


def test_retry_after_seconds_is_honoured_up_to_the_ceiling() -> None:
    assert ALWAYS_MAX.delay_after_response(GET, status(429, retry_after="7"), 0) == 7.0
    assert ALWAYS_MAX.delay_after_response(GET, status(503, retry_after="61"), 0) is None
    ignoring = RetryPolicy(respect_retry_after=False, jitter=lambda: 1.0)
    assert ignoring.delay_after_response(GET, status(429, retry_after="7"), 0) == 0.5


def test_retry_after_http_date_is_measured_against_the_response_date() -> None:
    headers = Headers(
        {"Retry-After": "Wed, 21 Oct 2015 07:28:30 GMT", "Date": "Wed, 21 Oct 2015 07:28:00 GMT"}
    )
    # The local clock is years off; the server's own Date header is what counts.
    assert retry_after_seconds(headers, wall_clock=lambda: 0.0) == 30.0


def test_retry_after_http_date_without_date_uses_the_wall_clock() -> None:
    headers = Headers({"Retry-After": "Thu, 01 Jan 1970 00:00:10 GMT"})
    assert retry_after_seconds(headers, wall_clock=lambda: 4.0) == 6.0
    assert retry_after_seconds(headers, wall_clock=lambda: 99.0) == 0.0


@pytest.mark.parametrize("value", ["soon", "-5", "1.5.2", ""])
def test_malformed_retry_after_is_ignored(value: str) -> None:
    assert retry_after_seconds(Headers({"Retry-After": value})) is None


def test_retry_if_sees_the_response_and_overrides_the_status_rule() -> None:
    def rule(request: Request, response: Response) -> bool | None:
        return response.headers.get("x-should-retry") == "true"

    policy = RetryPolicy(retry_if=rule, jitter=lambda: 1.0)
    assert policy.delay_after_response(GET, status(409, x_should_retry="true"), 0) == 0.5
    assert policy.delay_after_response(GET, status(503, x_should_retry="false"), 0) is None
    # It never makes an unsafe request repeatable.
    assert policy.delay_after_response(POST, status(409, x_should_retry="true"), 0) is None


def test_connect_errors_are_retried_for_any_method_because_nothing_was_sent() -> None:
    assert ALWAYS_MAX.delay_after_error(POST, ConnectError("refused"), 0) == 0.5


def test_errors_after_sending_are_retried_only_when_repeatable() -> None:
    assert ALWAYS_MAX.delay_after_error(GET, ReadTimeout("slow"), 0) == 0.5
    assert ALWAYS_MAX.delay_after_error(POST, ReadTimeout("slow"), 0) is None
    assert ALWAYS_MAX.delay_after_error(KEYED_POST, ReadTimeout("slow"), 0) == 0.5


def test_coerce() -> None:
    assert RetryPolicy.coerce(0).max_retries == 0
    assert RetryPolicy.coerce(5).max_retries == 5
    assert RetryPolicy.coerce(None).max_retries == 0
    with pytest.raises(TypeError):
        RetryPolicy.coerce(-1)
