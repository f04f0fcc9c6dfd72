"""OAuth 1.0a: signatures checked by oauthlib's server side on what the server received."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qsl, urlsplit

import pytest
from oauthlib.common import Request as OAuthRequest
from oauthlib.oauth1.rfc5849 import signature

from apiclient import AuthError, OAuth1, OAuth1Flow
from apiclient.testing import FakeServer, RecordedRequest, Reply

from .async_facade import SyncFacade
from .conftest import Acme

MakeClient = Callable[..., Acme]

CLIENT_KEY, CLIENT_SECRET = "dpf43f3p2l4k3l03", "kd94hf93k423kf44"
TOKEN, TOKEN_SECRET = "nnch734d00sl2jdk", "pfkkdhi9sl3r4s00"


def verified(request: RecordedRequest, base_url: str, token_secret: str | None) -> dict[str, str]:
    """Check the request's signature as an OAuth 1.0a server would; return its oauth params."""
    uri = base_url.rstrip("/") + request.target
    form = request.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded")
    body = request.body.decode() if form else None
    sources = {"uri_query": urlsplit(uri).query, "body": body, "headers": dict(request.headers)}
    # As oauthlib's own endpoints do: the base string is built without oauth_signature.
    params = signature.collect_parameters(**sources, exclude_oauth_signature=True)
    sent = dict(signature.collect_parameters(**sources, exclude_oauth_signature=False))
    oauth_request = OAuthRequest(
        uri, http_method=request.method, body=body, headers=dict(request.headers)
    )
    oauth_request.params = params
    oauth_request.signature = sent["oauth_signature"]
    method = dict(params)["oauth_signature_method"]
    checks: dict[str, Callable[..., bool]] = {
        "HMAC-SHA1": signature.verify_hmac_sha1,
        "HMAC-SHA256": signature.verify_hmac_sha256,
        "PLAINTEXT": signature.verify_plaintext,
    }
    assert checks[method](oauth_request, CLIENT_SECRET, token_secret), "bad signature"
    return {k: v for k, v in params if k.startswith("oauth_")}


def flow_for(server: FakeServer, **options: str) -> OAuth1Flow:
    """The three-legged flow against ``server``'s /initiate and /token endpoints."""
    return OAuth1Flow(
        CLIENT_KEY,
        CLIENT_SECRET,
        request_token_url=server.url + "initiate",
        authorize_url="https://photos.example.net/authorize",
        access_token_url=server.url + "token",
        **options,
    )


def fetch_request_token(flow: OAuth1Flow, api: Acme) -> dict[str, str]:
    """Step 1 over the client's transport: awaited on the async client."""
    if isinstance(api, SyncFacade):
        return api.run(flow.fetch_request_token_async(api.client.transport))  # type: ignore[no-any-return]
    return flow.fetch_request_token(api.transport)


def fetch_access_token(flow: OAuth1Flow, verifier: str, api: Acme) -> OAuth1:
    """Step 3 over the client's transport: awaited on the async client."""
    if isinstance(api, SyncFacade):
        return api.run(flow.fetch_access_token_async(verifier, api.client.transport))  # type: ignore[no-any-return]
    return flow.fetch_access_token(verifier, api.transport)


@pytest.mark.parametrize("method", ["HMAC-SHA1", "HMAC-SHA256", "PLAINTEXT"])
def test_signatures_verify_on_the_server(
    method: str, server: FakeServer, make_client: MakeClient
) -> None:
    server.add("/photos", Reply(json="ok"))
    auth = OAuth1(CLIENT_KEY, CLIENT_SECRET, TOKEN, TOKEN_SECRET, signature_method=method)
    make_client(server, auth=auth).get(
        "/photos", params={"file": "vacation.jpg", "size": "original"}
    )
    params = verified(server.requests[0], server.url, TOKEN_SECRET)
    assert params["oauth_consumer_key"] == CLIENT_KEY and params["oauth_token"] == TOKEN


def test_a_form_body_is_signed_and_a_json_body_is_not(
    server: FakeServer, make_client: MakeClient
) -> None:
    server.add("/status", Reply(json="ok"))
    api = make_client(server, auth=OAuth1(CLIENT_KEY, CLIENT_SECRET, TOKEN, TOKEN_SECRET))
    api.post("/status", data={"status": "hello world"})
    api.post("/status", json={"status": "hello world"})
    verified(server.requests[0], server.url, TOKEN_SECRET)  # body params in the base string
    verified(server.requests[1], server.url, TOKEN_SECRET)  # JSON body left out, as the RFC says
    tampered = server.requests[0]
    forged = RecordedRequest(tampered.method, tampered.target, tampered.headers, b"status=evil", 0)
    with pytest.raises(AssertionError, match="bad signature"):
        verified(forged, server.url, TOKEN_SECRET)


def test_query_signature_type_and_each_attempt_signed_afresh(
    server: FakeServer, make_client: MakeClient
) -> None:
    server.add("/flaky", [Reply(503), Reply(json="ok")])
    auth = OAuth1(CLIENT_KEY, CLIENT_SECRET, TOKEN, TOKEN_SECRET, signature_type="QUERY")
    make_client(server, auth=auth).get("/flaky")
    nonces = [dict(parse_qsl(urlsplit(r.target).query))["oauth_nonce"] for r in server.requests]
    assert len(set(nonces)) == 2
    verified(server.requests[1], server.url, TOKEN_SECRET)


def test_three_legged_flow(server: FakeServer, make_client: MakeClient) -> None:
    def request_token(request: RecordedRequest) -> Reply:
        params = verified(request, server.url, None)
        assert params["oauth_callback"] == "https://app.example/cb"
        return Reply(
            body="oauth_token=hh5s93j4hdidpola&oauth_token_secret=hdhd0244k9j7ao03&oauth_callback_confirmed=true"
        )

    def access_token(request: RecordedRequest) -> Reply:
        params = verified(request, server.url, "hdhd0244k9j7ao03")
        assert (
            params["oauth_verifier"] == "hfdp7dh39dks9884"
            and params["oauth_token"] == "hh5s93j4hdidpola"
        )
        return Reply(body=f"oauth_token={TOKEN}&oauth_token_secret={TOKEN_SECRET}")

    server.add("POST /initiate", request_token)
    server.add("POST /token", access_token)
    server.add(
        "GET /photos", lambda r: Reply(json=verified(r, server.url, TOKEN_SECRET)["oauth_token"])
    )
    flow = flow_for(server, callback_uri="https://app.example/cb")
    bootstrap = make_client(server)
    fetch_request_token(flow, bootstrap)
    assert (
        flow.authorization_url()
        == "https://photos.example.net/authorize?oauth_token=hh5s93j4hdidpola"
    )
    auth = fetch_access_token(flow, "hfdp7dh39dks9884", bootstrap)
    assert make_client(server, auth=auth).get("/photos") == TOKEN
    assert CLIENT_SECRET not in repr(auth) and TOKEN_SECRET not in repr(auth)


def test_a_refused_request_token_is_a_typed_error(
    server: FakeServer, make_client: MakeClient
) -> None:
    server.add("POST /initiate", Reply(401, body="oauth_problem=signature_invalid"))
    with pytest.raises(AuthError) as caught:
        fetch_request_token(flow_for(server), make_client(server))
    assert caught.value.status == 401
