"""Rate limits: limiters, the server's pauses and pacing, per-route buckets, concurrency.

``RateLimiter`` grants at most N requests in any window of T seconds; ``AdaptiveThrottle``
obeys what the server's headers say; ``Bucket`` maps routes to their own limits;
``InFlightLimiter`` caps the requests on the wire at once.
"""

from apiclient.ratelimit.adaptive import AdaptiveThrottle
from apiclient.ratelimit.base import Limiter
from apiclient.ratelimit.buckets import Bucket
from apiclient.ratelimit.concurrency import InFlightLimiter
from apiclient.ratelimit.memory import Limit, RateLimiter
from apiclient.ratelimit.pacing import Pacing

__all__ = [
    "AdaptiveThrottle",
    "Bucket",
    "InFlightLimiter",
    "Limit",
    "Limiter",
    "Pacing",
    "RateLimiter",
]
