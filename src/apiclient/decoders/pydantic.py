"""Models that are pydantic (v2) ``BaseModel`` s, or types built of them, decoded by pydantic.

Imported only when such a model is asked for, so pydantic is never required.
"""

from __future__ import annotations

from typing import Any

from apiclient.decoders.mismatch import Mismatch


class PydanticDecoder:
    """Decode through a cached ``pydantic.TypeAdapter`` per model (JSON parsed by pydantic)."""

    def __init__(self) -> None:
        self._adapters: dict[Any, Any] = {}

    def _adapter(self, model: Any) -> Any:
        adapter = self._adapters.get(model)
        if adapter is None:
            from pydantic import TypeAdapter

            adapter = self._adapters[model] = TypeAdapter(model)
        return adapter

    def decode(self, data: bytes, model: Any) -> Any:
        """``TypeAdapter(model).validate_json(data)``."""
        return self._validated(lambda adapter: adapter.validate_json(data), model)

    def convert(self, value: Any, model: Any) -> Any:
        """``TypeAdapter(model).validate_python(value)``."""
        return self._validated(lambda adapter: adapter.validate_python(value), model)

    def _validated(self, run: Any, model: Any) -> Any:
        from pydantic import ValidationError

        try:
            return run(self._adapter(model))
        except ValidationError as exc:
            first = exc.errors(include_url=False, include_input=False)[0]
            mismatch = Mismatch(str(first.get("msg", "invalid")))
            mismatch.path = [p for p in first.get("loc", ()) if isinstance(p, (str, int))]
        raise mismatch
