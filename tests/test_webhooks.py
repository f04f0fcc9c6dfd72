"""Webhook verification: the published vectors, and properties over any payload and header."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apiclient import APIClient, APIError, DecodeError, ValidationError, webhooks
from apiclient.webhooks import HMACScheme, WebhookVerificationError

# Standard Webhooks' own test vector (its libraries' test suites).
STANDARD_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
STANDARD_HEADERS = {
    "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
    "webhook-timestamp": "1614265330",
    "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
}
STANDARD_PAYLOAD = b'{"test": 2432232314}'
# GitHub's documented example ("Validating webhook deliveries").
GITHUB_SECRET = "It's a Secret to Everybody"
GITHUB_PAYLOAD = b"Hello, World!"
GITHUB_SIGNATURE = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
NOW = 1614265330.0
CUSTOM = HMACScheme("X-Acme-Signature", encoding="base64", timestamp_header="X-Acme-Time")
SCHEMES: dict[str, Any] = {"standard": "standard", "github": "github", "stripe": "stripe",
                           "custom": CUSTOM}  # fmt: skip
SECRETS = {"standard": STANDARD_SECRET, "github": "gh-s3cret", "stripe": "whsec_stripe_s3cret",
           "custom": "acme-s3cret"}  # fmt: skip


def test_the_standard_webhooks_vector() -> None:
    assert webhooks.verify(STANDARD_PAYLOAD, STANDARD_HEADERS, STANDARD_SECRET, now=NOW) == {
        "test": 2432232314
    }
    bare = STANDARD_SECRET.removeprefix("whsec_")  # the prefix is optional
    assert webhooks.verify(STANDARD_PAYLOAD, STANDARD_HEADERS, bare, now=NOW)
    signed = webhooks.sign(STANDARD_PAYLOAD, STANDARD_SECRET, timestamp=1614265330,
                           webhook_id="msg_p5jXN8AQM9LWM0D4loKWxJek")  # fmt: skip
    assert signed == STANDARD_HEADERS


def test_the_standard_vector_with_a_wrong_signature_or_several() -> None:
    wrong = {**STANDARD_HEADERS,
             "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA="}  # fmt: skip
    with pytest.raises(WebhookVerificationError, match="does not match"):
        webhooks.verify(STANDARD_PAYLOAD, wrong, STANDARD_SECRET, now=NOW)
    several = " ".join(["v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=",
                        "v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=",
                        STANDARD_HEADERS["webhook-signature"], "v1,not*base64"])  # fmt: skip
    headers = {**STANDARD_HEADERS, "webhook-signature": several}
    assert webhooks.verify(STANDARD_PAYLOAD, headers, STANDARD_SECRET, now=NOW)


def test_the_github_example() -> None:
    headers = {"X-Hub-Signature-256": GITHUB_SIGNATURE, "Content-Type": "text/plain"}
    with pytest.raises(DecodeError, match="invalid JSON in a signed webhook"):  # not an event
        webhooks.verify(GITHUB_PAYLOAD, headers, GITHUB_SECRET, scheme="github")
    assert webhooks.sign(GITHUB_PAYLOAD, GITHUB_SECRET, scheme="github") == {
        "X-Hub-Signature-256": GITHUB_SIGNATURE
    }
    with pytest.raises(WebhookVerificationError):
        webhooks.verify(b"Hello, World?", headers, GITHUB_SECRET, scheme="github")


def test_stripe_style_signatures_and_their_tolerance() -> None:
    secret, payload = "whsec_stripe_s3cret", b'{"id": "evt_1", "type": "charge.succeeded"}'
    headers = webhooks.sign(payload, secret, scheme="stripe", timestamp=int(NOW))
    assert headers["stripe-signature"].startswith(f"t={int(NOW)},v1=")
    assert (
        webhooks.verify(payload, headers, secret, scheme="stripe", now=NOW + 299)["id"] == "evt_1"
    )
    with pytest.raises(WebhookVerificationError, match="300 s"):
        webhooks.verify(payload, headers, secret, scheme="stripe", now=NOW + 301)
    rolled = {"Stripe-Signature": headers["stripe-signature"] + ",v1=" + "0" * 64}
    assert webhooks.verify(payload, rolled, secret, scheme="stripe", now=NOW)


@given(
    scheme=st.sampled_from(list(SCHEMES)),
    payload=st.binary(min_size=1, max_size=300),
    flip=st.integers(min_value=0),
    bit=st.integers(min_value=0, max_value=7),
)
@settings(max_examples=200, deadline=None)
def test_any_payload_byte_changed_is_refused(
    scheme: str, payload: bytes, flip: int, bit: int
) -> None:
    headers = webhooks.sign(payload, SECRETS[scheme], scheme=SCHEMES[scheme], timestamp=int(NOW))
    tampered = bytearray(payload)
    tampered[flip % len(payload)] ^= 1 << bit
    with pytest.raises(WebhookVerificationError):
        webhooks.verify(bytes(tampered), headers, SECRETS[scheme], scheme=SCHEMES[scheme], now=NOW)


@given(scheme=st.sampled_from(list(SCHEMES)), data=st.data())
@settings(max_examples=100, deadline=None)
def test_any_header_missing_is_refused(scheme: str, data: st.DataObject) -> None:
    payload = b'{"ok": true}'
    headers = webhooks.sign(payload, SECRETS[scheme], scheme=SCHEMES[scheme], timestamp=int(NOW))
    assert webhooks.verify(payload, headers, SECRETS[scheme], scheme=SCHEMES[scheme], now=NOW)
    missing = data.draw(st.sampled_from(sorted(headers)))
    del headers[missing]
    with pytest.raises(WebhookVerificationError, match=r"no .* header|malformed"):
        webhooks.verify(payload, headers, SECRETS[scheme], scheme=SCHEMES[scheme], now=NOW)


@given(scheme=st.sampled_from(["standard", "stripe", "custom"]),
       skew=st.floats(min_value=300.001, max_value=1e7))  # fmt: skip
@settings(max_examples=100, deadline=None)
def test_a_timestamp_outside_the_tolerance_is_refused(scheme: str, skew: float) -> None:
    payload = b'{"ok": true}'
    headers = webhooks.sign(payload, SECRETS[scheme], scheme=SCHEMES[scheme], timestamp=int(NOW))
    for now in (NOW + skew, NOW - skew):  # a replay, and a clock far ahead
        with pytest.raises(WebhookVerificationError, match="from now"):
            webhooks.verify(payload, headers, SECRETS[scheme], scheme=SCHEMES[scheme], now=now)


@pytest.mark.parametrize("scheme", list(SCHEMES))
def test_a_rotated_secret_list_accepts_either_and_nothing_else(scheme: str) -> None:
    old, new = SECRETS[scheme], SECRETS[scheme] + "2" if scheme != "standard" else (
        "whsec_" + "QUJDREVGR0hJSktMTU5PUA==")  # fmt: skip
    payload = b'{"rotated": true}'
    for signer in (old, new):
        headers = webhooks.sign(payload, signer, scheme=SCHEMES[scheme], timestamp=int(NOW))
        verified = webhooks.verify(payload, headers, [old, new], scheme=SCHEMES[scheme], now=NOW)
        assert verified == {"rotated": True}
    stranger = "whsec_" + "WllZWllZWllZWllZWllZWQ==" if scheme == "standard" else "stranger"
    headers = webhooks.sign(payload, stranger, scheme=SCHEMES[scheme], timestamp=int(NOW))
    with pytest.raises(WebhookVerificationError):
        webhooks.verify(payload, headers, [old, new], scheme=SCHEMES[scheme], now=NOW)


def test_no_secret_shows_in_an_error_and_errors_are_api_errors() -> None:
    headers = webhooks.sign(b"{}", "whsec_c2VjcmV0LWtleS1jYW5hcnk=", timestamp=int(NOW))
    with pytest.raises(APIError) as refused:
        webhooks.verify(b"{}", headers, "whsec_b3RoZXIta2V5LWNhbmFyeQ==", now=NOW)
    assert isinstance(refused.value, WebhookVerificationError)
    shown = str(refused.value) + repr(refused.value)
    assert "canary" not in shown and "c2VjcmV0" not in shown and "b3RoZXI" not in shown
    assert headers["webhook-signature"][3:] not in shown


def test_the_body_must_be_the_raw_bytes_and_the_scheme_known() -> None:
    with pytest.raises(TypeError, match="raw bytes"):
        webhooks.verify('{"a": 1}', {}, "s")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown webhook scheme"):
        webhooks.verify(b"{}", {}, "s", scheme="svix2")
    with pytest.raises(ValueError, match="base64"):
        webhooks.verify(b"{}", STANDARD_HEADERS, "whsec_not base64!", now=NOW)
    with pytest.raises(ValueError, match="unsafe"):
        HMACScheme("X-Sig", algorithm="md5")


def test_an_event_is_built_into_a_model() -> None:
    @dataclasses.dataclass
    class Event:
        test: int

    assert webhooks.verify(STANDARD_PAYLOAD, STANDARD_HEADERS, STANDARD_SECRET, now=NOW,
                           model=Event) == Event(2432232314)  # fmt: skip

    @dataclasses.dataclass
    class Other:
        name: str

    with pytest.raises(ValidationError):
        webhooks.verify(STANDARD_PAYLOAD, STANDARD_HEADERS, STANDARD_SECRET, now=NOW, model=Other)


class Receiver(BaseHTTPRequestHandler):
    """A webhook receiver on http.server, as docs/webhooks.md writes one."""

    received: ClassVar[list[Any]] = []

    def do_POST(self) -> None:
        payload = self.rfile.read(int(self.headers["Content-Length"]))
        try:
            event = webhooks.verify(payload, self.headers, "gh-s3cret", scheme="github")
        except (WebhookVerificationError, DecodeError):
            self.send_response(400)
        else:
            self.received.append(event)
            self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def receiver() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_a_receiver_on_a_real_socket_takes_signed_deliveries_only(receiver: str) -> None:
    Receiver.received = []
    body = b'{"action": "opened", "number": 7}'
    headers = {**webhooks.sign(body, "gh-s3cret", scheme="github"),
               "Content-Type": "application/json"}  # fmt: skip
    with APIClient(base_url=receiver, retries=0) as sender:
        assert sender.post("/hook", data=body, headers=headers, raw=True).status == 204
        forged = {**headers, "X-Hub-Signature-256": "sha256=" + "0" * 64}
        assert sender.post("/hook", data=body, headers=forged, raw=True).status == 400
    assert Receiver.received == [{"action": "opened", "number": 7}]
