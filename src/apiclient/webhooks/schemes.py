"""How each kind of webhook is signed: Standard Webhooks, Stripe's, and HMAC ones (GitHub's).

A scheme checks a payload's signature headers against a list of secrets (several while a
secret is rotated) and signs payloads the same way (for tests, and for senders). Every
comparison is constant-time; no error names a secret or the signature expected.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets as random_tokens
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from apiclient.errors import WebhookVerificationError

Secret = str | bytes


class Scheme(Protocol):
    """A way webhooks are signed."""

    def verify(
        self, payload: bytes, headers: Mapping[str, str], secrets: Sequence[Secret],
        now: float, tolerance: float,
    ) -> None:  # fmt: skip
        """Return if some secret signed ``payload``; raise ``WebhookVerificationError``."""
        ...

    def sign(
        self, payload: bytes, secret: Secret, timestamp: int, webhook_id: str
    ) -> dict[str, str]:
        """The headers that sign ``payload`` with ``secret``."""
        ...


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if not value:
        raise WebhookVerificationError(f"the webhook has no {name} header")
    return value


def _timestamp(text: str, now: float, tolerance: float) -> int:
    try:
        stamp = int(text)
    except ValueError:
        raise WebhookVerificationError("the webhook's timestamp is not a number") from None
    if abs(now - stamp) > tolerance:
        raise WebhookVerificationError(
            f"the webhook's timestamp is more than {tolerance:g} s from now (a replay?)"
        )
    return stamp


def _matches(expected: bytes, offered: Sequence[bytes]) -> bool:
    """Whether any offered signature is ``expected``, each compared in constant time."""
    found = False
    for candidate in offered:
        found |= hmac.compare_digest(expected, candidate)
    return found


def _digest(key: bytes, content: bytes, algorithm: str = "sha256") -> bytes:
    return hmac.new(key, content, getattr(hashlib, algorithm)).digest()


def _mismatch() -> WebhookVerificationError:
    return WebhookVerificationError("the webhook's signature does not match")


@dataclass(frozen=True)
class StandardWebhooks:
    """Standard Webhooks (standardwebhooks.com), in ``webhook-*`` headers.

    ``webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.payload">``, several
    space-separated; the secret is base64, optionally prefixed ``whsec_``.
    """

    def verify(
        self, payload: bytes, headers: Mapping[str, str], secrets: Sequence[Secret],
        now: float, tolerance: float,
    ) -> None:  # fmt: skip
        """Check the newest-format (``v1``) signatures against each secret."""
        webhook_id = _header(headers, "webhook-id")
        stamp = _header(headers, "webhook-timestamp")
        offered = []
        for entry in _header(headers, "webhook-signature").split():
            version, _, signature = entry.partition(",")
            if version == "v1":
                try:
                    offered.append(base64.b64decode(signature, validate=True))
                except binascii.Error:
                    continue
        _timestamp(stamp, now, tolerance)
        content = f"{webhook_id}.{stamp}.".encode() + payload
        if not any(_matches(_digest(_standard_key(s), content), offered) for s in secrets):
            raise _mismatch()

    def sign(
        self, payload: bytes, secret: Secret, timestamp: int, webhook_id: str
    ) -> dict[str, str]:
        """The three ``webhook-*`` headers."""
        content = f"{webhook_id}.{timestamp}.".encode() + payload
        signature = base64.b64encode(_digest(_standard_key(secret), content)).decode()
        return {"webhook-id": webhook_id, "webhook-timestamp": str(timestamp),
                "webhook-signature": f"v1,{signature}"}  # fmt: skip


def _standard_key(secret: Secret) -> bytes:
    if isinstance(secret, bytes):
        return secret
    try:
        return base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    except binascii.Error:
        raise ValueError("a Standard Webhooks secret is base64 (after whsec_)") from None


@dataclass(frozen=True)
class Stripe:
    """Stripe's ``Stripe-Signature: t=<timestamp>,v1=<hex HMAC-SHA256 of "t.payload">``.

    Several ``v1`` while a secret rolls; the secret string is the key, as it is.
    """

    header: str = "stripe-signature"

    def verify(
        self, payload: bytes, headers: Mapping[str, str], secrets: Sequence[Secret],
        now: float, tolerance: float,
    ) -> None:  # fmt: skip
        """Check the ``v1`` signatures and the ``t`` timestamp."""
        fields = [item.partition("=") for item in _header(headers, self.header).split(",")]
        stamps = [value for name, _, value in fields if name.strip() == "t"]
        offered = [value.strip().encode() for name, _, value in fields if name.strip() == "v1"]
        if len(stamps) != 1 or not offered:
            raise WebhookVerificationError(f"the webhook's {self.header} header is malformed")
        _timestamp(stamps[0], now, tolerance)
        content = stamps[0].encode() + b"." + payload
        if not any(_matches(_digest(_key(s), content).hex().encode(), offered) for s in secrets):
            raise _mismatch()

    def sign(
        self, payload: bytes, secret: Secret, timestamp: int, webhook_id: str
    ) -> dict[str, str]:
        """The ``Stripe-Signature`` header."""
        signature = _digest(_key(secret), str(timestamp).encode() + b"." + payload).hex()
        return {self.header: f"t={timestamp},v1={signature}"}


@dataclass(frozen=True)
class HMACScheme:
    """An HMAC of the payload in one header: the generic scheme, GitHub's among them.

    ``HMACScheme("X-Hub-Signature-256", prefix="sha256=")`` is GitHub's. ``encoding`` is
    ``"hex"`` or ``"base64"``; with ``timestamp_header``, what is signed is
    ``timestamp + separator + payload`` and the timestamp must be within the tolerance.
    """

    signature_header: str
    algorithm: str = "sha256"
    encoding: Literal["hex", "base64"] = "hex"
    prefix: str = ""
    timestamp_header: str | None = None
    separator: bytes = b"."

    def __post_init__(self) -> None:
        if self.algorithm not in hashlib.algorithms_guaranteed or self.algorithm == "md5":
            raise ValueError(f"unknown or unsafe HMAC algorithm {self.algorithm!r}")
        if self.encoding not in ("hex", "base64"):
            raise ValueError('encoding is "hex" or "base64"')

    def verify(
        self, payload: bytes, headers: Mapping[str, str], secrets: Sequence[Secret],
        now: float, tolerance: float,
    ) -> None:  # fmt: skip
        """Check the header's signature(s), and the timestamp if there is one."""
        value = _header(headers, self.signature_header.lower())
        if not value.startswith(self.prefix):
            raise WebhookVerificationError(f"the webhook's {self.signature_header} is malformed")
        offered = [part.strip().encode() for part in value[len(self.prefix) :].split(",")]
        content = self._content(payload, headers, now, tolerance)
        for secret in secrets:
            expected = self._encode(_digest(_key(secret), content, self.algorithm))
            if _matches(expected.encode(), offered):
                return
        raise _mismatch()

    def sign(
        self, payload: bytes, secret: Secret, timestamp: int, webhook_id: str
    ) -> dict[str, str]:
        """The signature header (and the timestamp's)."""
        headers = {}
        if self.timestamp_header is not None:
            headers[self.timestamp_header] = str(timestamp)
            payload = str(timestamp).encode() + self.separator + payload
        signature = self._encode(_digest(_key(secret), payload, self.algorithm))
        headers[self.signature_header] = self.prefix + signature
        return headers

    def _content(
        self, payload: bytes, headers: Mapping[str, str], now: float, tolerance: float
    ) -> bytes:
        if self.timestamp_header is None:
            return payload
        stamp = _header(headers, self.timestamp_header.lower())
        _timestamp(stamp, now, tolerance)
        return stamp.encode() + self.separator + payload

    def _encode(self, digest: bytes) -> str:
        return digest.hex() if self.encoding == "hex" else base64.b64encode(digest).decode()


def _key(secret: Secret) -> bytes:
    return secret if isinstance(secret, bytes) else secret.encode()


#: GitHub's ``X-Hub-Signature-256: sha256=<hex>`` (no timestamp: GitHub sends none).
GITHUB = HMACScheme("X-Hub-Signature-256", prefix="sha256=")
SCHEMES: dict[str, Scheme] = {
    "standard": StandardWebhooks(),
    "github": GITHUB,
    "stripe": Stripe(),
}


def new_webhook_id() -> str:
    """A fresh ``msg_...`` id, as a sender of Standard Webhooks mints them."""
    return "msg_" + random_tokens.token_urlsafe(18)
