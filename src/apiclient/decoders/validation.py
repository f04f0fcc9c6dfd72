"""Checking a parsed JSON value against a type, and building the typed value from it.

Theory of operation: ``converter(model)`` compiles a type once into a tree of small
closures, one per type in it (cached per type), so that converting a value is plain
function calls with no type inspection. A closure either returns the converted value or
raises ``Mismatch``; containers catch it on its way out and add their key or index to its
``path``, so the success path pays nothing for error reporting.

Understood: ``Any``/``object``; ``None``; ``bool``, ``int``, ``float`` (an int is accepted),
``str``; ``Literal``; ``Enum`` subclasses (by value); ``datetime``, ``date``, ``time``
(ISO 8601 strings), ``UUID``, ``Decimal``; ``list``, ``set``, ``frozenset``, ``tuple``
(fixed or ``...``), ``dict`` / ``Mapping`` with ``str`` keys, ``Sequence``; unions and
``Optional``; ``Annotated`` (its metadata ignored); ``TypedDict`` (required and
``NotRequired`` keys checked, unknown keys kept); dataclasses and attrs classes (missing
fields without a default are errors, unknown keys are dropped; ``metadata={"alias": "key"}``
reads another key); ``NamedTuple`` (from an array or an object). Anything else is a
``TypeError`` when compiled: say what you mean with a type this module knows, or plug your
own ``Decoder`` in.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import sys
import types
import typing
import uuid
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, Union, get_args, get_origin

from apiclient.decoders.mismatch import Mismatch, type_name

Convert = Callable[[Any], Any]


_cache: dict[Any, Convert] = {}


def converter(model: Any) -> Convert:
    """The compiled converter for ``model`` (made once, then cached)."""
    try:
        found = _cache.get(model)
    except TypeError:  # an unhashable type form: compile it every time
        return _compile(model)
    if found is None:
        found = _compile(model)
        _cache[model] = found
    return found


def convert(value: Any, model: Any) -> Any:
    """``value`` checked against ``model`` and built into it; ``Mismatch`` if it does not fit."""
    return converter(model)(value)


def _got(value: Any) -> str:
    kind = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return kind.get(type(value), type(value).__name__)


def _compile(model: Any) -> Convert:
    if model is Any or model is object:
        return _identity
    if model is None or model is type(None):
        return _none
    simple = _SIMPLE.get(model)
    if simple is not None:
        return simple
    origin = get_origin(model)
    if origin is typing.Annotated or origin in _QUALIFIERS:
        return converter(get_args(model)[0])
    if origin is Literal:
        return _literal(get_args(model))
    if origin is Union or origin is types.UnionType:
        return _union(model, get_args(model))
    if origin is not None:
        return _generic(model, origin, get_args(model))
    if isinstance(model, type):
        return _class(model)
    raise TypeError(f"apiclient cannot decode into {model!r}: not a type it knows")


#: ``TypedDict`` key qualifiers: the type inside is what is checked.
_QUALIFIERS = tuple(
    q for q in (typing.Required, typing.NotRequired, getattr(typing, "ReadOnly", None)) if q
)


def _identity(value: Any) -> Any:
    return value


def _none(value: Any) -> None:
    if value is not None:
        raise Mismatch(f"expected null, got {_got(value)}")


def _strict(kind: type, name: str) -> Convert:
    def check(value: Any) -> Any:
        if type(value) is not kind:
            raise Mismatch(f"expected {name}, got {_got(value)}")
        return value

    return check


def _int(value: Any) -> int:
    if type(value) is not int:
        raise Mismatch(f"expected integer, got {_got(value)}")
    return value


def _float(value: Any) -> float:
    kind = type(value)
    if kind is float:
        return value  # type: ignore[no-any-return]
    if kind is int:
        return float(value)
    raise Mismatch(f"expected number, got {_got(value)}")


def _parsed(kind: str, parse: Callable[[str], Any]) -> Convert:
    def check(value: Any) -> Any:
        if type(value) is not str:
            raise Mismatch(f"expected {kind} (a string), got {_got(value)}")
        try:
            return parse(value)
        except ValueError:
            raise Mismatch(f"expected {kind}, got {value[:40]!r}") from None

    return check


def _decimal(value: Any) -> Decimal:
    if type(value) not in (str, int, float):
        raise Mismatch(f"expected a decimal number, got {_got(value)}")
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise Mismatch(f"expected a decimal number, got {str(value)[:40]!r}") from None


_SIMPLE: dict[Any, Convert] = {
    bool: _strict(bool, "boolean"),
    int: _int,
    float: _float,
    str: _strict(str, "string"),
    dt.datetime: _parsed("an ISO 8601 date-time", dt.datetime.fromisoformat),
    dt.date: _parsed("an ISO 8601 date", dt.date.fromisoformat),
    dt.time: _parsed("an ISO 8601 time", dt.time.fromisoformat),
    uuid.UUID: _parsed("a UUID", uuid.UUID),
    Decimal: _decimal,
}


def _literal(allowed: tuple[Any, ...]) -> Convert:
    def check(value: Any) -> Any:
        # (1 == True in Python: compare the types too, as JSON does)
        if any(value == choice and type(value) is type(choice) for choice in allowed):
            return value
        raise Mismatch(f"expected one of {', '.join(map(repr, allowed))}, got {value!r:.40}")

    return check


def _union(model: Any, arms: tuple[Any, ...]) -> Convert:
    converters = [converter(arm) for arm in arms]
    optional = type(None) in arms

    def check(value: Any) -> Any:
        if value is None and optional:
            return None
        for convert_arm in converters:
            try:
                return convert_arm(value)
            except Mismatch:
                continue
        raise Mismatch(f"expected {type_name(model)}, got {_got(value)}")

    return check


def _generic(model: Any, origin: Any, args: tuple[Any, ...]) -> Convert:
    if origin in (list, set, frozenset) or origin is Sequence:
        return _array(converter(args[0] if args else Any), list if origin is Sequence else origin)
    if origin is tuple:
        return _tuple(args)
    if origin in (dict, Mapping) or origin is typing.Mapping:
        key, value = args if args else (str, Any)
        if key is not str and key is not Any:
            raise TypeError(f"JSON object keys are strings: {model!r} cannot be decoded")
        return _object(converter(value))
    if isinstance(origin, type) and _is_typed_class(origin):
        return _class(origin)  # a generic dataclass or TypedDict: its parameters unchecked
    raise TypeError(f"apiclient cannot decode into {model!r}: not a type it knows")


def _array(item: Convert, build: type) -> Convert:
    def check(value: Any) -> Any:
        if type(value) is not list:
            raise Mismatch(f"expected array, got {_got(value)}")
        if item is _identity:
            return value if build is list else build(value)
        out = []
        for index, element in enumerate(value):
            try:
                out.append(item(element))
            except Mismatch as mismatch:
                mismatch.path.insert(0, index)
                raise
        return out if build is list else build(out)

    return check


def _tuple(args: tuple[Any, ...]) -> Convert:
    if len(args) == 2 and args[1] is Ellipsis:
        return _array(converter(args[0]), tuple)
    items = [converter(arg) for arg in args]

    def check(value: Any) -> Any:
        if type(value) is not list or len(value) != len(items):
            raise Mismatch(f"expected an array of {len(items)}, got {_got(value)}")
        out = []
        for index, (element, item) in enumerate(zip(value, items, strict=True)):
            try:
                out.append(item(element))
            except Mismatch as mismatch:
                mismatch.path.insert(0, index)
                raise
        return tuple(out)

    return check


def _object(item: Convert) -> Convert:
    def check(value: Any) -> Any:
        if type(value) is not dict:
            raise Mismatch(f"expected object, got {_got(value)}")
        if item is _identity:
            return value
        out = {}
        for key, element in value.items():
            try:
                out[key] = item(element)
            except Mismatch as mismatch:
                mismatch.path.insert(0, key)
                raise
        return out

    return check


def _is_typed_class(cls: type) -> bool:
    return (
        dataclasses.is_dataclass(cls)
        or typing.is_typeddict(cls)
        or _is_attrs(cls)
        or (issubclass(cls, tuple) and hasattr(cls, "_fields"))
    )


def _is_attrs(cls: type) -> bool:
    return hasattr(cls, "__attrs_attrs__")


def _class(cls: type) -> Convert:
    if issubclass(cls, enum.Enum):
        return _enum(cls)
    if typing.is_typeddict(cls):
        return _typed_dict(cls)
    if dataclasses.is_dataclass(cls):
        fields = [
            _Field(f.name, f.name, f.metadata.get("alias", f.name), _has_default(f))
            for f in dataclasses.fields(cls)
            if f.init
        ]
        return _record(cls, fields)
    if _is_attrs(cls):
        nothing = _attrs_nothing()
        attributes = cls.__attrs_attrs__  # type: ignore[attr-defined]
        fields = [
            _Field(a.name, a.alias or a.name, a.metadata.get("alias", a.alias or a.name),
                   a.default is not nothing)
            for a in attributes
            if a.init
        ]  # fmt: skip
        return _record(cls, fields, {a.name: a.type for a in attributes if a.type is not None})
    if issubclass(cls, tuple) and hasattr(cls, "_fields"):
        return _named_tuple(cls)
    raise TypeError(
        f"apiclient cannot decode into {cls.__qualname__}: use a dataclass, a TypedDict, an attrs"
        " class, a pydantic model or a msgspec Struct (or give the client a Decoder)"
    )


def _has_default(field: dataclasses.Field[Any]) -> bool:
    return (
        field.default is not dataclasses.MISSING or field.default_factory is not dataclasses.MISSING
    )


def _attrs_nothing() -> Any:
    import attrs

    return attrs.NOTHING


def _hints(cls: type) -> dict[str, Any]:
    """The resolved annotations of ``cls`` (string ones too), or a clear error."""
    module = sys.modules.get(cls.__module__)
    try:
        return typing.get_type_hints(cls, vars(module) if module else None, include_extras=True)
    except NameError as exc:
        raise TypeError(
            f"apiclient cannot resolve the annotations of {cls.__qualname__} ({exc}): define "
            "the types it names at module level"
        ) from None


def _enum(cls: type[enum.Enum]) -> Convert:
    def check(value: Any) -> Any:
        try:
            return cls(value)
        except ValueError:
            raise Mismatch(f"expected a {cls.__qualname__} value, got {value!r:.40}") from None

    return check


def _required_keys(cls: type, hints: Mapping[str, Any]) -> frozenset[str]:
    """The keys a TypedDict requires, ``NotRequired`` / ``Required`` read from the hints.

    (``__required_keys__`` misses them when the annotations are strings, as under
    ``from __future__ import annotations``.)
    """
    required = set(cls.__required_keys__)  # type: ignore[attr-defined]
    for name, hint in hints.items():
        origin = get_origin(hint)
        if origin is typing.NotRequired:
            required.discard(name)
        elif origin is typing.Required:
            required.add(name)
    return frozenset(required)


def _typed_dict(cls: type) -> Convert:
    hints = _hints(cls)
    required = _required_keys(cls, hints)
    fields: list[tuple[str, Convert]] = [(name, converter(hint)) for name, hint in hints.items()]
    name = cls.__qualname__

    def check(value: Any) -> Any:
        if type(value) is not dict:
            raise Mismatch(f"expected object ({name}), got {_got(value)}")
        out = dict(value)  # unknown keys are kept: a TypedDict is a dict
        for key, convert_field in fields:
            if key not in value:
                if key in required:
                    raise Mismatch(f"missing required key {key!r} of {name}")
                continue
            try:
                out[key] = convert_field(value[key])
            except Mismatch as mismatch:
                mismatch.path.insert(0, key)
                raise
        return out

    return check


class _Field(typing.NamedTuple):
    """One field of a dataclass or attrs class, as decoding sees it."""

    name: str  # the attribute (its annotation is looked up under this name)
    argument: str  # the constructor's keyword for it
    key: str  # the JSON object key it is read from
    optional: bool  # it has a default: a missing key is fine


def _record(cls: type, fields: list[_Field], declared: Mapping[str, Any] | None = None) -> Convert:
    """A dataclass or attrs class; ``declared`` holds types not written as annotations."""
    hints = {**(declared or {}), **_hints(cls)}
    plan = [(f.argument, f.key, f.optional, converter(hints.get(f.name, Any))) for f in fields]
    name = cls.__qualname__

    def check(value: Any) -> Any:
        if type(value) is not dict:
            raise Mismatch(f"expected object ({name}), got {_got(value)}")
        arguments = {}
        for argument, key, optional, convert_field in plan:
            if key not in value:
                if optional:
                    continue
                raise Mismatch(f"missing required field {key!r} of {name}")
            try:
                arguments[argument] = convert_field(value[key])
            except Mismatch as mismatch:
                mismatch.path.insert(0, key)
                raise
        return cls(**arguments)

    return check


def _named_tuple(cls: type) -> Convert:
    hints = _hints(cls)
    names: tuple[str, ...] = cls._fields  # type: ignore[attr-defined]
    defaults: dict[str, Any] = getattr(cls, "_field_defaults", {})
    plan = [(name, converter(hints.get(name, Any))) for name in names]

    def check(value: Any) -> Any:
        if type(value) is list:
            value = dict(zip(names, value, strict=False))
        if type(value) is not dict:
            raise Mismatch(f"expected object or array ({cls.__qualname__}), got {_got(value)}")
        arguments = {}
        for name, convert_field in plan:
            if name not in value:
                if name in defaults:
                    continue
                raise Mismatch(f"missing required field {name!r} of {cls.__qualname__}")
            try:
                arguments[name] = convert_field(value[name])
            except Mismatch as mismatch:
                mismatch.path.insert(0, name)
                raise
        return cls(**arguments)

    return check
