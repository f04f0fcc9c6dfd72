"""``make demo``: an Acme API client against a fake Acme API on 127.0.0.1. No network needed.

Shows the seed's ``call``, keep-alive reuse under a rate limit, retries through 503s and a
429 with ``Retry-After``, typed errors, timeouts, adaptive throttling, and a redacted log line.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

from apiclient import (
    APIClient_SharedSecret,
    ConnectError,
    NotFound,
    RateExceededError,
    RateLimiter,
    Timeout,
    TooManyRequests,
)
from apiclient.pagination import Paginated
from apiclient.policies.pagination import PageNumber
from apiclient.testing import FakeServer, RecordedRequest, Reply

ITEMS = [{"id": n, "name": f"widget-{n}"} for n in range(1, 101)]


def page_of_widgets(request: RecordedRequest) -> Reply:
    page, per_page = int(request.args.get("page", 1)), int(request.args.get("per_page", 20))
    chunk = ITEMS[(page - 1) * per_page : page * per_page]
    return Reply(json={"page": page, "items": chunk, "total": len(ITEMS)})


def fake_acme() -> FakeServer:
    """A fake of the Acme API, with a few deliberately unreliable endpoints."""
    return FakeServer(
        {
            "GET /hello": Reply(json={"what": "world"}),
            "GET /widgets": page_of_widgets,
            "GET /flaky": [Reply(503), Reply(503), Reply(json={"status": "recovered"})],
            "GET /busy": [
                Reply(429, headers={"Retry-After": "1"}),
                Reply(json={"status": "served"}),
            ],
            "GET /quota": Reply(429, headers={"Retry-After": "3600"}),
            "GET /slow": Reply(hang=True),
        }
    )


class AcmeAPI(APIClient_SharedSecret):
    """The client library a user would write: a base URL and a method per endpoint."""

    BASE_URL = "https://api.acme.example/v1/"

    def hello(self) -> Any:
        return self.call("/hello")

    def widgets(self, per_page: int = 20) -> Paginated:
        paginator = PageNumber(items_key="items", per_page=per_page, total_key="total")
        return self.paginate("/widgets", paginator=paginator)


BOLD, PLAIN = ("\033[1m", "\033[0m") if sys.stdout.isatty() else ("", "")


def step(title: str) -> None:
    print(f"\n{BOLD}{title}{PLAIN}")


def main() -> int:
    started = time.monotonic()
    with fake_acme() as server:
        api = AcmeAPI(
            "demo-secret-key",
            base_url=server.url,
            rate_limit_lock=RateLimiter(max_messages=20, every_seconds=1),
        )
        print(f"Fake Acme API listening on {server.url}")

        step("1. The seed's call()")
        print("  api.hello() ->", api.hello())

        step("2. Fetch every widget, page by page, under a 20-per-second rate limit")
        widgets = []
        for page in api.widgets().pages():
            widgets += page.body["items"]
            print(f"  page {page.number}: {len(page.body['items'])} widgets")
        print(f"  {len(widgets)} widgets; TCP connections so far: {server.connections_opened}")

        step("3. Survive two 503s (idempotent GET, backoff with jitter)")
        print("  /flaky ->", api.call("/flaky"))

        step("4. Honour a 429 with Retry-After: 1")
        waited = time.monotonic()
        print("  /busy ->", api.call("/busy"), f"after waiting {time.monotonic() - waited:.1f}s")

        step("5. Typed errors instead of surprises")
        try:
            api.call("/missing")
        except NotFound as error:
            print(f"  NotFound: {error}")
        try:
            api.get("/slow", timeout=0.5, retries=0)
        except Timeout as error:
            print(f"  {type(error).__name__}: {error}")
        with FakeServer() as gone:
            dead_url = gone.url
        try:
            AcmeAPI("demo-secret-key", base_url=dead_url, retries=0).hello()
        except ConnectError as error:
            print(f"  ConnectError: {error}")

        step("6. A quota exhausted for an hour: stop at once, and stop every caller")
        try:
            api.call("/quota")
        except TooManyRequests as error:
            print(f"  TooManyRequests, retry_after={error.retry_after:g}s (not slept for an hour)")
        try:
            api.hello()
        except RateExceededError as error:
            wait = error.retry_after or 0
            print(f"  next call sends nothing: RateExceededError, retry_after={wait:.0f}s")
        api.close()
        api = AcmeAPI("demo-secret-key", base_url=server.url)

        step("7. A debug log line: the key and unknown parameters are redacted")
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("  %(name)s %(levelname)s %(message)s"))
        logger = logging.getLogger("apiclient")
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
        api.call("/hello", page=1, token="not-for-logs")
        logger.removeHandler(handler)
        print(f"  repr(api) = {api!r}")
        api.close()
        step("Summary")
        print(f"  requests served:        {len(server.requests)}")
        print(f"  TCP connections opened: {server.connections_opened}  (keep-alive reuse)")
        print(f"  elapsed:                {time.monotonic() - started:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
