"""Tools for testing the API client you built.

- ``FakeServer``: a real HTTP/1.1 server on 127.0.0.1 (TLS optional) answering from a route
  table, recording every request and counting TCP connections;
- ``Reply``: what a route answers, including faults (``hang``, ``close``, ``delay``...);
- ``paged``, ``rate_limited``, ``conditional``, ``flaky``: ready-made routes for paging,
  quotas, ETags and faults;
- ``cassette``: record a client's exchanges with a real API once (secrets scrubbed) and
  replay them offline;
- ``FakeClock``: one fake time for the client, its limiters, throttle, OAuth token expiry
  and the fake routes, so a test asserts exact waits;
- the ``fake_server`` and ``cassette`` pytest fixtures and the ``cassette`` marker (loaded
  automatically when apiclient is installed);
- ``apiclient.MockTransport`` (``AsyncMockTransport``) for pure unit tests with no socket.

See ``docs/testing.md``.
"""

from apiclient.testing.cassette import Cassette, CassetteError, cassette
from apiclient.testing.clock import FakeClock
from apiclient.testing.routes import RateLimitedRoute, conditional, flaky, paged, rate_limited
from apiclient.testing.server import FakeServer, RecordedRequest, Reply, ReplySource

__all__ = [
    "Cassette",
    "CassetteError",
    "FakeClock",
    "FakeServer",
    "RateLimitedRoute",
    "RecordedRequest",
    "Reply",
    "ReplySource",
    "cassette",
    "conditional",
    "flaky",
    "paged",
    "rate_limited",
]
