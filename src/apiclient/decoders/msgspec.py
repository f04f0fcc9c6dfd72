"""Models that are msgspec ``Struct`` s, or types built of them, decoded by msgspec.

Straight from the body's bytes (``msgspec.json.decode(data, type=model)``), the fastest
path there is. Imported only when such a model is asked for.
"""

from __future__ import annotations

import re
from typing import Any

from apiclient.decoders.mismatch import Mismatch

_AT = re.compile(r" - at `\$(.*)`$")
_PART = re.compile(r"\.([^.\[]+)|\[(\d+)\]")


class MsgspecDecoder:
    """Decode with msgspec; its errors carry the path, which is kept."""

    def decode(self, data: bytes, model: Any) -> Any:
        """``msgspec.json.decode(data, type=model)``."""
        import msgspec

        try:
            return msgspec.json.decode(data, type=model)
        except msgspec.MsgspecError as exc:
            mismatch = _mismatch(str(exc))
        raise mismatch

    def convert(self, value: Any, model: Any) -> Any:
        """``msgspec.convert(value, type=model)``."""
        import msgspec

        try:
            return msgspec.convert(value, type=model)
        except msgspec.MsgspecError as exc:
            mismatch = _mismatch(str(exc))
        raise mismatch


def _mismatch(text: str) -> Mismatch:
    """``Expected `int`, got `str` - at `$.items[0].id``` as a Mismatch with its path."""
    found = _AT.search(text)
    mismatch = Mismatch(text[: found.start()] if found else text)
    if found:
        mismatch.path = [
            int(index) if index else key for key, index in _PART.findall(found.group(1))
        ]
    return mismatch
