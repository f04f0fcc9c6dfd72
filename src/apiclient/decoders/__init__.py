"""Typed models: turning a JSON body into the type a call asked for (``model=``).

A ``Decoder`` has two methods: ``decode(data, model)`` for a whole body (bytes) and
``convert(value, model)`` for an already-parsed JSON value (a page's items, the result
of a ``_handle_response`` override). It raises ``ValueError`` when the value does not fit
(``validation.Mismatch`` to say where). The client turns that into a ``ValidationError``
naming the model, the field path, the request and a short redacted snippet of the body.
A decoder may also have ``prefers_bytes(model) -> bool``: False makes the client parse
the body itself and call ``convert`` (without it, a JSON body goes to ``decode``).

``AutoDecoder`` (the default) picks by model, never importing a library you did not:
pydantic models go to pydantic (``TypeAdapter``), msgspec Structs to msgspec (decoded
straight from the bytes), and everything else (dataclasses, TypedDict, attrs classes,
``list[...]``, unions, primitives) to apiclient's own validator (``validation``).
"""

from __future__ import annotations

import sys
from typing import Any, Protocol, get_args, runtime_checkable

from apiclient.decoders.mismatch import Mismatch, describe_path, is_model, type_name

__all__ = [
    "AutoDecoder",
    "Decoder",
    "Mismatch",
    "default_decoder",
    "describe_path",
    "is_model",
    "type_name",
]


@runtime_checkable
class Decoder(Protocol):
    """Builds the value a call returns for ``model=`` (see the module docstring)."""

    def decode(self, data: bytes, model: Any) -> Any:
        """A whole JSON body, as bytes, made into ``model``; ``ValueError`` if it does not fit."""
        ...

    def convert(self, value: Any, model: Any) -> Any:
        """A parsed JSON value made into ``model``; ``ValueError`` if it does not fit."""
        ...


class BuiltinDecoder:
    """apiclient's own validator: dataclasses, TypedDict, attrs, typing forms."""

    def decode(self, data: bytes, model: Any) -> Any:
        """Parse strict JSON (no NaN), then convert."""
        from apiclient.policies.decoding import parse_json_bytes

        return self.convert(parse_json_bytes(data), model)

    def convert(self, value: Any, model: Any) -> Any:
        """Check ``value`` against ``model`` and build it."""
        from apiclient.decoders import validation  # on the first model: it is the heavy part

        return validation.convert(value, model)


class AutoDecoder:
    """Picks pydantic, msgspec or the built-in validator for each model (cached)."""

    def __init__(self) -> None:
        self._chosen: dict[Any, Decoder] = {}
        self._builtin = BuiltinDecoder()

    def decode(self, data: bytes, model: Any) -> Any:
        """Decode with the decoder for ``model``."""
        return self.for_model(model).decode(data, model)

    def convert(self, value: Any, model: Any) -> Any:
        """Convert with the decoder for ``model``."""
        return self.for_model(model).convert(value, model)

    def prefers_bytes(self, model: Any) -> bool:
        """Whether ``model``'s decoder parses JSON bytes itself (pydantic, msgspec do)."""
        return self.for_model(model) is not self._builtin

    def for_model(self, model: Any) -> Decoder:
        """The decoder that handles ``model``."""
        try:
            found = self._chosen.get(model)
        except TypeError:  # unhashable
            return self._choose(model)
        if found is None:
            found = self._chosen[model] = self._choose(model)
        return found

    def _choose(self, model: Any) -> Decoder:
        if "pydantic" in sys.modules and _mentions(model, _is_pydantic):
            from apiclient.decoders.pydantic import PydanticDecoder

            return PydanticDecoder()
        if "msgspec" in sys.modules and _mentions(model, _is_msgspec):
            from apiclient.decoders.msgspec import MsgspecDecoder

            return MsgspecDecoder()
        return self._builtin

    def __repr__(self) -> str:
        return "AutoDecoder()"


def _mentions(model: Any, test: Any) -> bool:
    """Whether ``model`` or any type argument inside it passes ``test``."""
    if isinstance(model, type) and test(model):
        return True
    return any(_mentions(arg, test) for arg in get_args(model))


def _is_pydantic(cls: type) -> bool:
    base = getattr(sys.modules.get("pydantic"), "BaseModel", None)
    return base is not None and issubclass(cls, base)


def _is_msgspec(cls: type) -> bool:
    base = getattr(sys.modules.get("msgspec"), "Struct", None)
    return base is not None and issubclass(cls, base)


_default: AutoDecoder | None = None


def default_decoder() -> AutoDecoder:
    """The ``AutoDecoder`` shared by clients that were given none (its caches are shared)."""
    global _default
    if _default is None:
        _default = AutoDecoder()
    return _default


def decode_json(
    data: bytes, model: Any = None, decoder: Decoder | None = None, *, status: int = 0,
    what: str = "a body",
) -> Any:  # fmt: skip
    """One JSON text, parsed, or built into ``model``: for bodies read outside a call.

    Bad JSON raises ``DecodeError``; a value that does not fit ``model``, ``ValidationError``
    (with the field path and a short snippet).
    """
    from apiclient.errors import DecodeError, ValidationError
    from apiclient.policies.decoding import parse_json_bytes

    snippet = data[:120].decode("utf-8", errors="replace")
    try:
        value = parse_json_bytes(data)
    except (ValueError, RecursionError):
        raise DecodeError(f"invalid JSON in {what}", snippet=snippet) from None
    if model is None:
        return value
    try:
        return (decoder or default_decoder()).convert(value, model)
    except ValueError as exc:
        path = describe_path(exc.path) if isinstance(exc, Mismatch) else "$"
        reason = exc.reason if isinstance(exc, Mismatch) else str(exc)
        raise ValidationError(model, path, reason, status=status, snippet=snippet) from None
