"""The seed's Facebook Graph API example, ported to Python 3 and to today's apiclient.

Shows what the Graph API asks of a client: an ``access_token`` on every call, ``ids=`` to
look up many objects in one request, ``paging.next`` links to follow, and errors that come
as a JSON object (``{"error": {"message", "type", "code"}}``), raised here as typed
exceptions. ``graph_routes()`` fakes the API, as its documentation describes, with the
testing kit.

    python examples/facebook.py                              # against the local fake
    FACEBOOK_ACCESS_TOKEN=... python examples/facebook.py --base-url https://graph.facebook.com/v21.0/
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable
from typing import Any

from apiclient import (
    APIClient,
    APIKey,
    GraphPaging,
    HTTPStatusError,
    Paginated,
    Request,
    Response,
)
from apiclient.testing import FakeServer, RecordedRequest, Reply, ReplySource, paged

#: Graph error codes that mean "slow down" (application, user, page and API-method limits).
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613})


class GraphAPIError(HTTPStatusError):
    """A Graph API error object: ``.type``, ``.code`` (a number), ``.subcode``, ``.fbtrace_id``."""

    type: str = ""
    subcode: int | None = None
    fbtrace_id: str | None = None

    @classmethod
    def for_error(cls, cause: HTTPStatusError) -> GraphAPIError:
        """The most specific Graph error class for ``cause``'s error object."""
        details = cause.body.get("error") if isinstance(cause.body, dict) else None
        details = details if isinstance(details, dict) else {}
        kind, code = details.get("type", ""), details.get("code")
        text = f"{kind or 'GraphError'} (code {code}): {details.get('message') or cause.message}"
        if code in RATE_LIMIT_CODES:
            error: GraphAPIError = GraphRateLimitError.from_error(cause, text)
        elif kind == "OAuthException":
            error = GraphOAuthError.from_error(cause, text)
        else:
            error = cls.from_error(cause, text)
        error.type, error.code = kind, code
        error.subcode, error.fbtrace_id = details.get("error_subcode"), details.get("fbtrace_id")
        return error


class GraphOAuthError(GraphAPIError):
    """The access token is missing, expired or lacks a permission (code 190, 102, 10...)."""


class GraphRateLimitError(GraphAPIError):
    """An application, user or page rate limit was reached: back off before calling again."""


class GraphAPI(APIClient):
    """A Graph API client: ``GraphAPI(token).get_object("me")``."""

    BASE_URL = "https://graph.facebook.com/v21.0/"
    PAGINATOR = GraphPaging()
    LOG_SAFE_PARAMS = frozenset({"ids"})

    def __init__(self, access_token: str, **options: Any) -> None:
        super().__init__(auth=APIKey(access_token, param="access_token"), **options)

    def _raise_for_status(self, response: Response, request: Request) -> None:
        try:
            super()._raise_for_status(response, request)
        except HTTPStatusError as error:
            raise GraphAPIError.for_error(error) from None

    def get_object(self, object_id: str, fields: Iterable[str] = ()) -> dict[str, Any]:
        """One node (a user, page, post...)."""
        params = {"fields": ",".join(fields)} if fields else {}
        node: dict[str, Any] = self.get(f"/{object_id}", params=params)
        return node

    def get_objects(self, ids: Iterable[str], fields: Iterable[str] = ()) -> dict[str, Any]:
        """Many nodes in one request (``?ids=a,b,c``), keyed by id."""
        params = {"ids": ",".join(ids)}
        if fields:
            params["fields"] = ",".join(fields)
        nodes: dict[str, Any] = self.get("/", params=params)
        return nodes

    def connection(self, object_id: str, name: str, **params: Any) -> Paginated[dict[str, Any]]:
        """Every item of a connection (``/me/friends``, ``/{page}/posts``), page after page."""
        return self.paginate(f"/{object_id}/{name}", params=params)


# -- the fake Graph API, built with apiclient.testing --------------------------------------

NODES: dict[str, dict[str, Any]] = {
    "4": {"id": "4", "name": "Mark Zuckerberg"},
    "5": {"id": "5", "name": "Chris Hughes"},
    "6": {"id": "6", "name": "Dustin Moskovitz"},
    "me": {"id": "1001", "name": "Demo User"},
}
FRIENDS = [{"id": str(2000 + n), "name": f"Friend {n}"} for n in range(1, 58)]


def graph_error(status: int, message: str, kind: str, code: int) -> Reply:
    """A Graph error reply, shaped as the API sends them."""
    error = {"message": message, "type": kind, "code": code, "fbtrace_id": "AbCdEfGh123"}
    return Reply(status, json={"error": error})


def graph_routes(access_token: str = "demo-token") -> dict[str, ReplySource]:
    """Nodes, ``ids=`` lookups and ``/me/friends`` (paged by 25), behind an access token."""
    friends = paged(FRIENDS, style="graph", per_page=25)

    def guarded(serve: Any) -> Any:
        def check(request: RecordedRequest) -> Reply:
            token = request.args.get("access_token")
            if not token:
                message = "An active access token must be used"
                return graph_error(400, message, "OAuthException", 2500)
            if token != access_token:
                return graph_error(400, "Invalid OAuth access token.", "OAuthException", 190)
            reply: Reply = serve(request)
            return reply

        return check

    def nodes(request: RecordedRequest) -> Reply:
        ids = [i for i in request.args.get("ids", "").split(",") if i]
        if not ids:
            return graph_error(400, "Unsupported get request.", "GraphMethodException", 100)
        missing = [i for i in ids if i not in NODES]
        if missing:
            message = f"Some of the aliases you requested do not exist: {','.join(missing)}"
            return graph_error(404, message, "OAuthException", 803)
        return Reply(json={i: _fields(NODES[i], request) for i in ids})

    def node(request: RecordedRequest) -> Reply:
        found = NODES.get(request.path.strip("/"))
        if found is None:
            return graph_error(404, "Unsupported get request.", "GraphMethodException", 100)
        return Reply(json=_fields(found, request))

    return {
        "GET /me/friends": guarded(friends),
        "GET /": guarded(nodes),
        "GET /*": guarded(node),
    }


def _fields(node: dict[str, Any], request: RecordedRequest) -> dict[str, Any]:
    wanted = request.args.get("fields")
    if not wanted:
        return node
    return {key: value for key, value in node.items() if key in [*wanted.split(","), "id"]}


def fake_graph() -> FakeServer:
    """A fake Graph API (not started)."""
    return FakeServer(graph_routes())


def report(api: GraphAPI) -> None:
    """What the command line prints."""
    print("me:", api.get_object("me", fields=["name"])["name"])
    founders = api.get_objects(["4", "5", "6"], fields=["name"])
    print("ids=4,5,6 in one request:", ", ".join(node["name"] for node in founders.values()))
    friends = list(api.connection("me", "friends"))
    print(f"friends: {len(friends)}, followed page by page through paging.next")
    try:
        api.get_object("no-such-node")
    except GraphAPIError as error:
        print(f"{type(error).__name__}: type={error.type} code={error.code}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Facebook Graph API (local fake by default)")
    parser.add_argument("--base-url", help="the real API (token in FACEBOOK_ACCESS_TOKEN)")
    args = parser.parse_args(argv)
    try:
        if args.base_url:
            with GraphAPI(os.environ["FACEBOOK_ACCESS_TOKEN"], base_url=args.base_url) as api:
                report(api)
            return 0
        with fake_graph() as server, GraphAPI("demo-token", base_url=server.url) as api:
            report(api)
    except GraphOAuthError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
