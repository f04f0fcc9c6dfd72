"""Rate limiters: grant at most N requests in any window of T seconds."""

from apiclient.ratelimit.adaptive import AdaptiveThrottle
from apiclient.ratelimit.base import Limiter
from apiclient.ratelimit.memory import Limit, RateLimiter

__all__ = ["AdaptiveThrottle", "Limit", "Limiter", "RateLimiter"]
