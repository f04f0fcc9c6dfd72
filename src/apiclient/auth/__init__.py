"""Auth objects: each adds its credentials to a request bound for the client's own origin.

OAuth 1 and OAuth 2 need oauthlib (``pip install 'apiclient[oauth]'``), imported on first use.
"""

from typing import TYPE_CHECKING as _TYPE_CHECKING

from apiclient.auth.base import Auth, AuthBase
from apiclient.auth.basic import BasicAuth
from apiclient.auth.bearer import BearerToken
from apiclient.auth.keys import APIKey

if _TYPE_CHECKING:
    from apiclient.auth.assertions import OAuth2JWTBearer, OAuth2TokenExchange
    from apiclient.auth.authorization_code import OAuth2AuthorizationCode
    from apiclient.auth.device_code import DeviceAuthorization, OAuth2DeviceCode
    from apiclient.auth.oauth1 import OAuth1, OAuth1Flow
    from apiclient.auth.oauth2 import OAuth2ClientCredentials, OAuth2RefreshToken

__all__ = [
    "APIKey",
    "Auth",
    "AuthBase",
    "BasicAuth",
    "BearerToken",
    "DeviceAuthorization",
    "OAuth1",
    "OAuth1Flow",
    "OAuth2AuthorizationCode",
    "OAuth2ClientCredentials",
    "OAuth2DeviceCode",
    "OAuth2JWTBearer",
    "OAuth2RefreshToken",
    "OAuth2TokenExchange",
]

_LAZY = {
    "OAuth1": "apiclient.auth.oauth1",
    "OAuth1Flow": "apiclient.auth.oauth1",
    "OAuth2AuthorizationCode": "apiclient.auth.authorization_code",
    "OAuth2ClientCredentials": "apiclient.auth.oauth2",
    "OAuth2DeviceCode": "apiclient.auth.device_code",
    "OAuth2JWTBearer": "apiclient.auth.assertions",
    "OAuth2TokenExchange": "apiclient.auth.assertions",
    "DeviceAuthorization": "apiclient.auth.device_code",
    "OAuth2RefreshToken": "apiclient.auth.oauth2",
}


def __getattr__(name: str) -> object:
    # OAuth modules pull in nothing heavy themselves, but keep `import apiclient` minimal.
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'apiclient.auth' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
