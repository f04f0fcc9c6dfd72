"""apiclient: a framework for writing excellent API client libraries.

Subclass ``APIClient``, set ``BASE_URL``, add methods; pooled keep-alive connections, rate
limiting, auth, safe retries and typed errors come with it.
"""

from typing import TYPE_CHECKING as _TYPE_CHECKING

from apiclient._version import __version__
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
from apiclient.transports import AsyncMockTransport, MockTransport, Transport

if _TYPE_CHECKING:  # imported on first use at run time (see __getattr__ below)
    from apiclient.aio import AsyncAPIClient, AsyncAPIClient_SharedSecret
    from apiclient.auth.assertions import OAuth2JWTBearer, OAuth2TokenExchange
    from apiclient.auth.authorization_code import OAuth2AuthorizationCode
    from apiclient.auth.device_code import DeviceAuthorization, OAuth2DeviceCode
    from apiclient.auth.oauth1 import OAuth1, OAuth1Flow
    from apiclient.auth.oauth2 import OAuth2ClientCredentials, OAuth2RefreshToken
    from apiclient.auth.token_store import FileTokenStore, RedisTokenStore, StoreLock, TokenStore
    from apiclient.graphql import AsyncGraphQLClient, GraphQLClient
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
    from apiclient.ratelimit.redis import RedisRateLimiter
    from apiclient.ratelimit.redis_concurrency import RedisConcurrencyLimiter
    from apiclient.sse import AsyncEventStream, EventStream, ServerSentEvent
    from apiclient.streaming import AsyncStreamContext, AsyncStreamedResponse, StreamedResponse
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


#: Where each name imported on first use lives: parts with heavier dependencies, and the
#: ones a first call does not need (async, pagination, streams), so that ``import apiclient;
#: APIClient()`` loads little more than urllib3.
_PAGINATORS = [
    *("BodyCursor", "Cursor", "GraphPaging", "GraphQLConnection", "HasMore", "LinkHeader"),
    *("NextPage", "OffsetLimit", "Page", "PageNumber", "Paginator"),
]
_LAZY: dict[str, str] = {
    "AsyncAPIClient": "apiclient.aio",
    "AsyncAPIClient_SharedSecret": "apiclient.aio",
    "MultipartBody": "apiclient.multipart",
    "AsyncPaginated": "apiclient.pagination",
    "Paginated": "apiclient.pagination",
    **dict.fromkeys(_PAGINATORS, "apiclient.policies.pagination"),
    **dict.fromkeys(("AsyncEventStream", "EventStream", "ServerSentEvent"), "apiclient.sse"),
    **dict.fromkeys(
        ("AsyncStreamContext", "AsyncStreamedResponse", "StreamedResponse"), "apiclient.streaming"
    ),
    "Urllib3Transport": "apiclient.transports.urllib3",
    "CurlTransport": "apiclient.transports.curl",
    "AiohttpTransport": "apiclient.transports.aiohttp",
    "GraphQLClient": "apiclient.graphql",
    "AsyncGraphQLClient": "apiclient.graphql",
    "RedisRateLimiter": "apiclient.ratelimit.redis",
    "RedisConcurrencyLimiter": "apiclient.ratelimit.redis_concurrency",
    **dict.fromkeys(
        ("RedisTokenStore", "FileTokenStore", "TokenStore", "StoreLock"),
        "apiclient.auth.token_store",
    ),
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None and (name.startswith("OAuth") or name == "DeviceAuthorization"):
        module = "apiclient.auth"
    if module is None:
        raise AttributeError(f"module 'apiclient' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(module), name)
    globals()[name] = value  # (found directly from now on)
    return value
