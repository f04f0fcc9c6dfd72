"""apiclient: a framework for writing excellent API client libraries.

Subclass ``APIClient``, set ``BASE_URL``, add methods; pooled keep-alive connections, rate
limiting, auth, safe retries and typed errors come with it.
"""

from typing import TYPE_CHECKING as _TYPE_CHECKING

from apiclient._version import __version__
from apiclient.aio import AsyncAPIClient, AsyncAPIClient_SharedSecret
from apiclient.auth import APIKey, Auth, AuthBase, BasicAuth, BearerToken
from apiclient.cache import ETagCache
from apiclient.calls import CallOptions, PageOptions
from apiclient.client import APIClient, APIClient_SharedSecret, RequestOptions
from apiclient.decoders import AutoDecoder, Decoder
from apiclient.errors import (
    APIError,
    AuthError,
    BadGateway,
    BadRequest,
    CertificateError,
    ClientError,
    Conflict,
    ConnectError,
    ConnectTimeout,
    DecodeError,
    Forbidden,
    GatewayTimeout,
    Gone,
    GraphQLError,
    HTTPStatusError,
    InFlightLimitReached,
    InternalServerError,
    MethodNotAllowed,
    NotFound,
    PaginationError,
    PoolTimeout,
    ProtocolError,
    RateExceededError,
    RateLimitConfigMismatch,
    RateLimiterMisconfigured,
    RateLimiterUnavailable,
    ReadTimeout,
    RedirectError,
    ResponseTooLarge,
    ServerError,
    ServiceUnavailable,
    SharedStateError,
    Timeout,
    TLSError,
    TooManyRedirects,
    TooManyRequests,
    TransportError,
    Unauthorized,
    UnprocessableEntity,
    ValidationError,
    WebhookVerificationError,
)
from apiclient.models import BodyStream, Headers, Request, Response, Result
from apiclient.multipart import MultipartBody
from apiclient.pagination import AsyncPaginated, Paginated
from apiclient.policies.pagination import (
    BodyCursor,
    Cursor,
    GraphPaging,
    GraphQLConnection,
    HasMore,
    LinkHeader,
    NextPage,
    OffsetLimit,
    Page,
    PageNumber,
    Paginator,
)
from apiclient.policies.ratelimit_headers import Quota, read_quota
from apiclient.policies.redirects import RedirectPolicy
from apiclient.policies.retries import RetryPolicy
from apiclient.policies.timeouts import Timeouts
from apiclient.policies.urls import path_segment
from apiclient.ratelimit import (
    AdaptiveThrottle,
    Bucket,
    InFlightLimiter,
    Limit,
    Limiter,
    Pacing,
    RateLimiter,
)
from apiclient.redaction import redact_url
from apiclient.sse import AsyncEventStream, EventStream, ServerSentEvent
from apiclient.streaming import AsyncStreamContext, AsyncStreamedResponse, StreamedResponse
from apiclient.transports import AsyncMockTransport, MockTransport, Transport

if _TYPE_CHECKING:  # imported on first use at run time (see __getattr__ below)
    from apiclient.auth.assertions import OAuth2JWTBearer, OAuth2TokenExchange
    from apiclient.auth.authorization_code import OAuth2AuthorizationCode
    from apiclient.auth.device_code import DeviceAuthorization, OAuth2DeviceCode
    from apiclient.auth.oauth1 import OAuth1, OAuth1Flow
    from apiclient.auth.oauth2 import OAuth2ClientCredentials, OAuth2RefreshToken
    from apiclient.auth.token_store import FileTokenStore, RedisTokenStore, StoreLock, TokenStore
    from apiclient.graphql import AsyncGraphQLClient, GraphQLClient
    from apiclient.ratelimit.redis import RedisRateLimiter
    from apiclient.ratelimit.redis_concurrency import RedisConcurrencyLimiter
    from apiclient.transports.aiohttp import AiohttpTransport
    from apiclient.transports.curl import CurlTransport
    from apiclient.transports.urllib3 import Urllib3Transport

__all__ = [
    "APIClient",
    "APIClient_SharedSecret",
    "APIError",
    "APIKey",
    "AdaptiveThrottle",
    "AiohttpTransport",
    "AsyncAPIClient",
    "AsyncAPIClient_SharedSecret",
    "AsyncEventStream",
    "AsyncGraphQLClient",
    "AsyncMockTransport",
    "AsyncPaginated",
    "AsyncStreamContext",
    "AsyncStreamedResponse",
    "Auth",
    "AuthBase",
    "AuthError",
    "AutoDecoder",
    "BadGateway",
    "BadRequest",
    "BasicAuth",
    "BearerToken",
    "BodyCursor",
    "BodyStream",
    "Bucket",
    "CallOptions",
    "CertificateError",
    "ClientError",
    "Conflict",
    "ConnectError",
    "ConnectTimeout",
    "CurlTransport",
    "Cursor",
    "DecodeError",
    "Decoder",
    "DeviceAuthorization",
    "ETagCache",
    "EventStream",
    "FileTokenStore",
    "Forbidden",
    "GatewayTimeout",
    "Gone",
    "GraphPaging",
    "GraphQLClient",
    "GraphQLConnection",
    "GraphQLError",
    "HTTPStatusError",
    "HasMore",
    "Headers",
    "InFlightLimitReached",
    "InFlightLimiter",
    "InternalServerError",
    "Limit",
    "Limiter",
    "LinkHeader",
    "MethodNotAllowed",
    "MockTransport",
    "MultipartBody",
    "NextPage",
    "NotFound",
    "OAuth1",
    "OAuth1Flow",
    "OAuth2AuthorizationCode",
    "OAuth2ClientCredentials",
    "OAuth2DeviceCode",
    "OAuth2JWTBearer",
    "OAuth2RefreshToken",
    "OAuth2TokenExchange",
    "OffsetLimit",
    "Pacing",
    "Page",
    "PageNumber",
    "PageOptions",
    "Paginated",
    "PaginationError",
    "Paginator",
    "PoolTimeout",
    "ProtocolError",
    "Quota",
    "RateExceededError",
    "RateLimitConfigMismatch",
    "RateLimiter",
    "RateLimiterMisconfigured",
    "RateLimiterUnavailable",
    "ReadTimeout",
    "RedirectError",
    "RedirectPolicy",
    "RedisConcurrencyLimiter",
    "RedisRateLimiter",
    "RedisTokenStore",
    "Request",
    "RequestOptions",
    "Response",
    "ResponseTooLarge",
    "Result",
    "RetryPolicy",
    "ServerError",
    "ServerSentEvent",
    "ServiceUnavailable",
    "SharedStateError",
    "StoreLock",
    "StreamedResponse",
    "TLSError",
    "Timeout",
    "Timeouts",
    "TokenStore",
    "TooManyRedirects",
    "TooManyRequests",
    "Transport",
    "TransportError",
    "Unauthorized",
    "UnprocessableEntity",
    "Urllib3Transport",
    "ValidationError",
    "WebhookVerificationError",
    "__version__",
    "path_segment",
    "read_quota",
    "redact_url",
]


def __getattr__(name: str) -> object:
    # Parts with heavier dependencies are imported on first use, keeping `import apiclient` light.
    if name == "Urllib3Transport":
        from apiclient.transports.urllib3 import Urllib3Transport

        return Urllib3Transport
    if name == "CurlTransport":
        from apiclient.transports.curl import CurlTransport

        return CurlTransport
    if name == "AiohttpTransport":
        from apiclient.transports.aiohttp import AiohttpTransport

        return AiohttpTransport
    if name in ("GraphQLClient", "AsyncGraphQLClient"):
        from apiclient import graphql

        return getattr(graphql, name)
    if name == "RedisRateLimiter":
        from apiclient.ratelimit.redis import RedisRateLimiter

        return RedisRateLimiter
    if name == "RedisConcurrencyLimiter":
        from apiclient.ratelimit.redis_concurrency import RedisConcurrencyLimiter

        return RedisConcurrencyLimiter
    if name in ("RedisTokenStore", "FileTokenStore", "TokenStore", "StoreLock"):
        from apiclient.auth import token_store

        return getattr(token_store, name)
    if name.startswith("OAuth") or name == "DeviceAuthorization":
        from apiclient import auth

        return getattr(auth, name)
    raise AttributeError(f"module 'apiclient' has no attribute {name!r}")
