"""Rate limiters: grant at most N requests in any window of T seconds."""

from apiclient.ratelimit.memory import RateLimiter

__all__ = ["RateLimiter"]
