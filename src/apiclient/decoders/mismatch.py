"""What every decoder shares, kept light (importing it loads no dataclasses or datetime).

``Mismatch`` is the ``ValueError`` a decoder raises when a value does not fit its model,
with the ``path`` to where; ``describe_path`` and ``type_name`` format them for errors;
``is_model`` tells a type form from a plain value.
"""

from __future__ import annotations

import types
from collections.abc import Sequence
from typing import Any, get_origin


class Mismatch(ValueError):
    """A value does not fit its type; ``path`` says where, ``reason`` how."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.path: list[str | int] = []


def is_model(candidate: Any) -> bool:
    """Whether ``candidate`` is a type form (``Repo``, ``list[Repo]``, ``A | B``), not a value."""
    return (
        isinstance(candidate, type)
        or get_origin(candidate) is not None
        or isinstance(candidate, types.UnionType)
    )


def describe_path(path: Sequence[str | int]) -> str:
    """``["items", 3, "id"]`` as ``$.items[3].id``."""
    text = "$"
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def type_name(model: Any) -> str:
    """A short, readable name for a type (``Repo``, ``list[Repo]``, ``int | None``)."""
    if isinstance(model, type) and get_origin(model) is None:
        return model.__qualname__
    return repr(model).replace("typing.", "")
