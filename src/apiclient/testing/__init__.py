"""Tools for testing the API client you built.

- ``FakeServer``: a real HTTP/1.1 server on 127.0.0.1 (TLS optional) answering from a route
  table, recording every request and counting TCP connections;
- ``Reply``: what a route answers, including faults (``hang``, ``close``, ``delay``...);
- ``paged``, ``rate_limited``, ``conditional``, ``flaky``: ready-made routes for paging,
  quotas, ETags and faults;
- the ``fake_server`` pytest fixture (loaded automatically when apiclient is installed);
- ``apiclient.MockTransport`` (``AsyncMockTransport``) for pure unit tests with no socket.

See ``docs/testing.md``.
"""

from apiclient.testing.routes import RateLimitedRoute, conditional, flaky, paged, rate_limited
from apiclient.testing.server import FakeServer, RecordedRequest, Reply, ReplySource

__all__ = [
    "FakeServer",
    "RateLimitedRoute",
    "RecordedRequest",
    "Reply",
    "ReplySource",
    "conditional",
    "flaky",
    "paged",
    "rate_limited",
]
