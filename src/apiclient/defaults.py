"""Every tunable default in one place, so a reader can see the whole policy at a glance."""

from __future__ import annotations

#: Seconds to establish a TCP (and TLS) connection.
CONNECT_TIMEOUT = 10.0
#: Seconds to wait between two reads from the server.
READ_TIMEOUT = 30.0
#: Wall-clock seconds for one call: every attempt, redirect, retry wait and limiter wait.
TOTAL_TIMEOUT = 120.0

#: Retries after the first attempt, for requests that are safe to repeat.
MAX_RETRIES = 3
#: Backoff before retry n is uniform in [0, min(MAX_BACKOFF, BACKOFF_FACTOR * 2 ** (n - 1))].
BACKOFF_FACTOR = 0.5
MAX_BACKOFF = 30.0
#: A ``Retry-After`` longer than this is not waited out: the call raises with ``retry_after``.
MAX_RETRY_AFTER = 60.0
#: Statuses that mean "try again later" for an idempotent request.
RETRY_STATUSES = frozenset({429, 502, 503, 504})
#: Methods that can be repeated without changing the outcome (RFC 9110, section 9.2.2).
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
#: A request carrying this header may be retried whatever its method.
IDEMPOTENCY_HEADER = "Idempotency-Key"

#: Redirects followed for one call before ``TooManyRedirects``.
MAX_REDIRECTS = 10
#: Longest ``Location`` accepted (server-supplied URLs are parsed only up to this size).
MAX_LOCATION_LENGTH = 8192
#: A body nobody will use (a redirect's, or a streamed error before a retry) is read and
#: discarded up to this size so the connection can be reused; a larger or unsized one closes
#: the connection instead. Redirect bodies are never decoded.
MAX_DRAIN_BYTES = 4096

#: Pages one ``paginate`` walks before ``PaginationError`` (pass ``max_pages`` to stop sooner).
MAX_PAGES = 10_000

#: Largest response body accepted, after content decoding (a gzip bomb stops here).
MAX_BODY_BYTES = 64 * 1024 * 1024
#: Bytes read from the socket per step while enforcing the deadline and the body cap.
READ_CHUNK_BYTES = 256 * 1024
#: The same for a streamed body, handed to the caller chunk by chunk: a chunk of 64 KiB
#: stays in the CPU's caches while it is worked on, one of 256 KiB does not (measured: an
#: event stream parses about a fifth faster, bench/sse.py).
STREAM_CHUNK_BYTES = 64 * 1024

#: Connections kept per origin; threads beyond this wait for a free one.
POOL_MAXSIZE = 10
#: The same for an asyncio client, whose tasks are cheap and many: aiohttp's own default.
#: With 10, a hundred concurrent tasks queue for connections (bench/async_bench.py).
ASYNC_POOL_MAXSIZE = 100
#: Origins kept in the pool manager at once.
MAX_POOLS = 10

#: Characters of a bad body quoted in a ``DecodeError``.
ERROR_SNIPPET_CHARS = 120

#: Request headers whose values are shown in logs and errors and survive a cross-origin
#: redirect. Everything else is treated as a possible credential (an allowlist, not a denylist).
SAFE_HEADERS = frozenset(
    {
        "accept",
        "accept-encoding",
        "accept-language",
        "cache-control",
        "content-language",
        "content-length",
        "content-type",
        "if-match",
        "if-modified-since",
        "if-none-match",
        "if-unmodified-since",
        "range",
        "user-agent",
    }
)

#: Query parameters whose values are shown in logs and errors; others print as ``[redacted]``.
SAFE_QUERY_PARAMS = frozenset(
    {
        "after",
        "before",
        "cursor",
        "direction",
        "expand",
        "fields",
        "filter",
        "format",
        "ids",
        "include",
        "lang",
        "limit",
        "offset",
        "order",
        "page",
        "per_page",
        "q",
        "since",
        "sort",
        "starting_after",
        "state",
        "until",
    }
)

#: What a value hidden by redaction looks like.
REDACTED = "[redacted]"
