"""RFC 8628's side of the test ``AuthorizationServer``: device codes, polled and decided.

oauthlib implements the device authorization endpoint and the ``device_code`` grant; this
keeps what it asks its validator about each device code: who it was issued to, when it
expires, when it was last polled (polling sooner than the interval gets ``slow_down``,
after which the client is to wait 5 s longer: RFC 8628 section 3.5), and what the user
decided.
A test decides for the user: ``approve(after_polls=2)``, ``deny()``, or leaves it pending;
``slow_down_on`` lists polls answered ``slow_down`` regardless.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from oauthlib.oauth2.rfc6749.errors import OAuth2Error
from oauthlib.oauth2.rfc8628.endpoints.pre_configured import DeviceApplicationServer
from oauthlib.oauth2.rfc8628.grant_types.device_code import DeviceCodeGrant

from apiclient.testing.server import RecordedRequest, Reply

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


@dataclass
class DeviceCode:
    """One device code as the server keeps it."""

    client_id: str
    user_code: str
    scopes: list[str]
    expires_at: float
    interval: float
    last_poll: float | None = None
    polls: int = 0
    answers: list[str] = field(default_factory=list)  # what each poll was told


class DeviceAuthorizations:
    """The device endpoint (``POST /device``) and the device codes it handed out."""

    def __init__(
        self, validator: Any, base_url: str, clock: Callable[[], float], interval: int = 5
    ) -> None:
        self.clock = clock
        self.codes: dict[str, DeviceCode] = {}
        self.slow_down_on: set[int] = set()
        self._decision: tuple[str, int] | None = None
        self._user = "alice"
        self._lock = threading.Lock()
        self.endpoint: Any = DeviceApplicationServer(
            validator, verification_uri=base_url + "device", interval=interval,
            verification_uri_complete=base_url + "device?user_code={user_code}",
        )  # fmt: skip
        self.grant: Any = DeviceCodeGrant(validator)

    @property
    def expires_in(self) -> int:
        """The lifetime of new device codes, seconds (oauthlib's setting)."""
        return int(self.endpoint._expires_in)

    @expires_in.setter
    def expires_in(self, seconds: int) -> None:
        self.endpoint._expires_in = seconds

    def approve(self, after_polls: int = 0, user: str = "alice") -> None:
        """The user approves: polls after the ``after_polls``-th get the token."""
        self._decision, self._user = ("authorized", after_polls), user

    def deny(self, after_polls: int = 0) -> None:
        """The user refuses: polls after the ``after_polls``-th get ``access_denied``."""
        self._decision = ("access_denied", after_polls)

    def serve(self, request: RecordedRequest, uri: str) -> Reply:
        """The device authorization endpoint (RFC 8628 section 3.1)."""
        try:
            headers, body, status = self.endpoint.create_device_authorization_response(
                uri, "POST", request.body.decode(), dict(request.headers)
            )
        except OAuth2Error as refused:  # (oauthlib raises the "fatal" ones)
            return Reply(refused.status_code, body=refused.json, headers=dict(refused.headers))
        data = body if isinstance(body, dict) else json.loads(body or "{}")
        if status == 200:
            client_id = _client_of(request)
            with self._lock:
                self.codes[data["device_code"]] = DeviceCode(
                    client_id, data["user_code"], str(data.get("scope", "read")).split(),
                    self.clock() + data["expires_in"], float(data.get("interval", 5)),
                )  # fmt: skip
        return Reply(status, json=data, headers={**headers, "Cache-Control": "no-store"})

    def status(self, client_id: str, device_code: str, request: Any) -> str | None:
        """What a poll is told (oauthlib's ``validate_device_code``)."""
        with self._lock:
            code = self.codes.get(device_code)
            if code is None or code.client_id != client_id:
                return None
            answer = self._answer(code, self.clock())
            code.answers.append(answer)
        if answer == "authorized":
            request.user, request.scopes = self._user, code.scopes
            with self._lock:
                del self.codes[device_code]  # single use
        return answer

    def _answer(self, code: DeviceCode, now: float) -> str:
        code.polls += 1
        too_soon = code.last_poll is not None and now - code.last_poll < code.interval
        code.last_poll = now
        if now >= code.expires_at:
            return "expired_token"
        if too_soon or code.polls in self.slow_down_on:
            return "slow_down"
        if self._decision is not None and code.polls > self._decision[1]:
            return self._decision[0]
        return "authorization_pending"


def _client_of(request: RecordedRequest) -> str:
    form = parse_qs(request.body.decode())
    if "client_id" in form:
        return form["client_id"][0]
    header = request.headers.get("authorization", "")
    return base64.b64decode(header[6:]).decode().partition(":")[0] if header else ""
