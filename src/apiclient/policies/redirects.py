"""Which redirect to follow, and what the next request may carry. Pure decisions.

apiclient follows redirects itself (urllib3's following is off) so that one place decides:
- 303 becomes a GET without a body; 301 and 302 turn a POST into a GET (what every browser
  and HTTP library does); 307 and 308 keep the method and the body.
- A hop to another origin (scheme, host or port) keeps only headers on the safe allowlist and
  drops the auth object's query credentials; the client will not re-apply auth there.
- https to http is refused, as is any scheme but http(s) or an oversized ``Location``.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from apiclient.defaults import MAX_REDIRECTS, SAFE_HEADERS
from apiclient.errors import RedirectError, TooManyRedirects
from apiclient.models import Headers, Request, Response
from apiclient.policies.urls import origin_of, server_url

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_BODY_HEADERS = frozenset({"content-type", "content-length", "content-encoding"})


@dataclass(frozen=True, slots=True)
class RedirectPolicy:
    """Immutable redirect settings.

    Attributes:
        max_redirects: hops followed per call; 0 returns the 3xx response unfollowed.
    """

    max_redirects: int = MAX_REDIRECTS

    @property
    def follows(self) -> bool:
        """Whether redirects are followed at all."""
        return self.max_redirects > 0

    def next_request(
        self,
        request: Request,
        response: Response,
        hops_done: int,
        credential_params: frozenset[str] = frozenset(),
    ) -> Request | None:
        """The request to send after ``response``, or None if it is not a redirect to follow.

        ``request`` is the request as built, before auth was applied to it.
        """
        if response.status not in REDIRECT_STATUSES or not self.follows:
            return None
        location = response.headers.get("location")
        if location is None:
            return None
        if hops_done >= self.max_redirects:
            raise TooManyRedirects(f"more than {self.max_redirects} redirects", request=None)
        target = _resolve(request.url, location)
        method, body, headers = request.method, request.body, request.headers
        if (response.status == 303 and method != "HEAD") or (
            response.status in (301, 302) and method == "POST"
        ):
            method, body = "GET", None
            headers = Headers((k, v) for k, v in headers.items() if k.lower() not in _BODY_HEADERS)
        if origin_of(target) != origin_of(request.url):
            headers = Headers((k, v) for k, v in headers.items() if k.lower() in SAFE_HEADERS)
            target = _without_params(target, credential_params)
        return Request(method, target, headers, body)


def _resolve(current: str, location: str) -> str:
    try:
        target = server_url(location, current)
    except ValueError as exc:
        raise RedirectError(f"refusing to follow the redirect: {exc}") from None
    if target.startswith("http:") and current.lower().startswith("https:"):
        raise RedirectError("refusing to follow a redirect from https to http")
    return target


def _without_params(url: str, names: frozenset[str]) -> str:
    if not names or "?" not in url:
        return url
    parts = urlsplit(url)
    kept = [p for p in parts.query.split("&") if p and p.partition("=")[0] not in names]
    return urlunsplit(parts._replace(query="&".join(kept)))
