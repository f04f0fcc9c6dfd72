"""Decisions with no I/O: URLs, headers, timeouts, retries, redirects and decoding."""
