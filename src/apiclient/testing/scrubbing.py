"""What a cassette keeps of an exchange: every secret the client knows, scrubbed first.

A recorded interaction is scrubbed before it is kept, and the whole cassette once more
before it is written (by then the client may know secrets it did not at first, such as a
rotated token). Scrubbed are:

- every spelling of the clients' secrets (their auth objects' ``secrets()``: API keys,
  tokens, passwords, client secrets) and of ``secrets=`` given to the cassette, anywhere;
- request headers outside the logging allowlist (``Authorization``, ``X-Api-Key``,
  ``Cookie``...) and query parameters outside it (``?key=``, ``?access_token=``);
- ``Set-Cookie`` in responses;
- OAuth's secret fields: ``access_token``, ``refresh_token``, ``id_token``,
  ``client_secret``... in JSON bodies, and those and ``code``, ``password``,
  ``code_verifier``, ``assertion``... in form bodies (token requests);
- then whatever the author's own ``scrubbers`` remove (each takes an interaction, a dict
  as written in the file, and returns it changed).

Scrubbed values read ``[redacted]``, as in logs and errors.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl, urlencode

from apiclient.defaults import REDACTED, SAFE_HEADERS, SAFE_QUERY_PARAMS
from apiclient.redaction import redact_url, scrub_value, secret_spellings

Interaction = dict[str, Any]
Scrubbing = Callable[[Interaction], Interaction]

#: Keys whose values are secrets wherever they appear in a JSON body.
JSON_SECRET_KEYS = frozenset({
    "access_token", "refresh_token", "id_token", "client_secret", "client_assertion",
    "device_code", "subject_token", "actor_token", "password",
})  # fmt: skip
#: And in a form body (an OAuth token request), these too.
FORM_SECRET_KEYS = JSON_SECRET_KEYS | {"code", "code_verifier", "assertion", "token"}
_FORM = "application/x-www-form-urlencoded"


class Scrubber:
    """Scrubs interactions; learns the clients' secrets as they are seen."""

    def __init__(
        self,
        secrets: Iterable[str] = (),
        scrubbers: Iterable[Scrubbing] = (),
        safe_params: frozenset[str] = SAFE_QUERY_PARAMS,
    ) -> None:
        self._secrets: set[str] = set(secrets)
        self._spellings = secret_spellings(self._secrets)
        self._scrubbers = tuple(scrubbers)
        self.safe_params = safe_params

    def learn(self, secrets: Iterable[str], safe_params: frozenset[str] | None = None) -> None:
        """Secrets (and the safe query parameters) of a client the cassette has seen."""
        fresh = set(secrets) - self._secrets
        if fresh:
            self._secrets |= fresh
            self._spellings = secret_spellings(self._secrets)
        if safe_params is not None:
            self.safe_params |= safe_params

    def url(self, url: str) -> str:
        """``url`` with unknown query parameters' values and every known secret hidden."""
        return self.text(redact_url(url, self.safe_params))

    def text(self, text: str) -> str:
        """``text`` with every known secret hidden."""
        return str(scrub_value(text, self._spellings))

    def request_headers(self, headers: Iterable[tuple[str, str]]) -> list[list[str]]:
        """Name and value pairs; values outside the allowlist hidden."""
        return [
            [name, self.text(value) if name.lower() in SAFE_HEADERS else REDACTED]
            for name, value in headers
        ]

    def response_headers(self, headers: Iterable[tuple[str, str]]) -> list[list[str]]:
        """Name and value pairs; ``Set-Cookie`` hidden, secrets scrubbed from the rest."""
        return [
            [name, REDACTED if name.lower() == "set-cookie" else self.text(value)]
            for name, value in headers
        ]

    def body(self, body: dict[str, Any], content_type: str) -> dict[str, Any]:
        """An encoded body (``{"json": ...}``, ``{"text": ...}`` or ``{"base64": ...}``)."""
        if "json" in body:
            return {"json": scrub_value(_without_secret_keys(body["json"]), self._spellings)}
        if "text" in body:
            text = body["text"]
            if content_type.split(";")[0].strip().lower() == _FORM:
                text = _scrubbed_form(text)
            return {"text": self.text(text)}
        return body  # (binary: left as it is; a secret would be in a text part)

    def interaction(self, entry: Interaction) -> Interaction:
        """One interaction as it will be written: every rule above, then the author's."""
        request = entry["request"]
        request["url"] = self.url(request["url"])
        request["headers"] = self.request_headers(request["headers"])
        if "body" in request:
            request["body"] = self.body(request["body"], _content_type(request["headers"]))
        response = entry.get("response")
        if response is not None:
            response["headers"] = self.response_headers(response["headers"])
            if "body" in response:
                response["body"] = self.body(response["body"], _content_type(response["headers"]))
        if "error" in entry:
            entry["error"]["message"] = self.text(entry["error"]["message"])
        for scrubbing in self._scrubbers:
            entry = scrubbing(entry)
        return entry


def _content_type(headers: list[list[str]]) -> str:
    for name, value in headers:
        if name.lower() == "content-type":
            return value
    return ""


def _without_secret_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: REDACTED if key in JSON_SECRET_KEYS and item else _without_secret_keys(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_without_secret_keys(item) for item in value]
    return value


def _scrubbed_form(text: str) -> str:
    pairs = parse_qsl(text, keep_blank_values=True)
    return urlencode([(k, REDACTED if k in FORM_SECRET_KEYS else v) for k, v in pairs])
