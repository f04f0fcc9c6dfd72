"""Verify the webhooks an API sends you: ``verify(payload, headers, secret, scheme=...)``.

    from apiclient import webhooks

    event = webhooks.verify(request_body, request_headers, SECRET, scheme="github")

The payload is checked as the raw bytes that arrived, before any JSON parsing, with a
constant-time comparison; then it is decoded (JSON, or into ``model=``). Schemes:
``"standard"`` (Standard Webhooks: ``webhook-id`` / ``webhook-timestamp`` /
``webhook-signature``, secrets ``whsec_...``), ``"github"`` (``X-Hub-Signature-256``),
``"stripe"`` (``Stripe-Signature: t=...,v1=...``), or an ``HMACScheme`` of your own. A
timestamped scheme refuses a webhook more than ``tolerance`` seconds (5 minutes) from now,
so an old delivery cannot be replayed. ``secret`` may be a list: any of them may have
signed (a secret being rotated). A refusal is a ``WebhookVerificationError`` (an
``APIError``) that names no secret. ``sign`` makes the headers, for tests and senders.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar, overload

from apiclient.errors import WebhookVerificationError
from apiclient.webhooks.schemes import (
    GITHUB,
    SCHEMES,
    HMACScheme,
    Scheme,
    Secret,
    StandardWebhooks,
    Stripe,
    new_webhook_id,
)

__all__ = [
    "GITHUB",
    "HMACScheme",
    "Scheme",
    "StandardWebhooks",
    "Stripe",
    "WebhookVerificationError",
    "sign",
    "verify",
]

T = TypeVar("T")
#: How far a webhook's timestamp may be from now, in seconds.
DEFAULT_TOLERANCE = 300.0


@overload
def verify(
    payload: bytes, headers: Any, secret: Secret | Sequence[Secret], *,
    scheme: str | Scheme = ..., tolerance: float = ..., now: float | None = ..., model: None = ...,
) -> Any: ...  # fmt: skip
@overload
def verify(
    payload: bytes, headers: Any, secret: Secret | Sequence[Secret], *,
    scheme: str | Scheme = ..., tolerance: float = ..., now: float | None = ..., model: type[T],
) -> T: ...  # fmt: skip
def verify(
    payload: bytes,
    headers: Any,
    secret: Secret | Sequence[Secret],
    *,
    scheme: str | Scheme = "standard",
    tolerance: float = DEFAULT_TOLERANCE,
    now: float | None = None,
    model: Any = None,
) -> Any:
    """The webhook's event, once its signature checks out (``WebhookVerificationError`` if not).

    ``headers``: any mapping of the request's headers (case does not matter) or pairs.
    """
    if not isinstance(payload, bytes | bytearray | memoryview):
        raise TypeError("verify the raw bytes of the request body, as they arrived")
    raw = bytes(payload)
    _scheme(scheme).verify(raw, _lowered(headers), _secrets(secret),
                           time.time() if now is None else now, tolerance)  # fmt: skip
    from apiclient.decoders import decode_json

    return decode_json(raw, model, what="a signed webhook")


def sign(
    payload: bytes,
    secret: Secret,
    *,
    scheme: str | Scheme = "standard",
    timestamp: int | None = None,
    webhook_id: str | None = None,
) -> dict[str, str]:
    """The headers that sign ``payload`` as ``scheme`` does (to test a receiver, or send)."""
    stamp = int(time.time()) if timestamp is None else timestamp
    return _scheme(scheme).sign(bytes(payload), secret, stamp, webhook_id or new_webhook_id())


def _scheme(scheme: str | Scheme) -> Scheme:
    if not isinstance(scheme, str):
        return scheme
    found = SCHEMES.get(scheme.lower())
    if found is None:
        raise ValueError(f"unknown webhook scheme {scheme!r}: one of {', '.join(SCHEMES)}")
    return found


def _lowered(headers: Any) -> Mapping[str, str]:
    pairs: Iterable[tuple[str, str]] = headers.items() if hasattr(headers, "items") else headers
    return {str(name).lower(): str(value) for name, value in pairs}


def _secrets(secret: Secret | Sequence[Secret]) -> list[Secret]:
    found = [secret] if isinstance(secret, str | bytes) else list(secret)
    if not found or not all(found):
        raise ValueError("give the webhook secret (or a list of them)")
    return found
