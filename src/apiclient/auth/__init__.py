"""Auth objects: each adds its credentials to a request bound for the client's own origin."""

from apiclient.auth.base import Auth, AuthBase
from apiclient.auth.basic import BasicAuth
from apiclient.auth.bearer import BearerToken
from apiclient.auth.keys import APIKey

__all__ = ["APIKey", "Auth", "AuthBase", "BasicAuth", "BearerToken"]
