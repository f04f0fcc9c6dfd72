"""The order contenders take turns in, shared by the benchmarks that pair them per round."""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


def rotated(contenders: list[T], round_number: int) -> list[T]:
    """``contenders`` starting with the next one each round.

    Whoever runs after whom (a heap left fragmented, a warm cache) then favours nobody.
    """
    shift = round_number % len(contenders)
    return contenders[shift:] + contenders[:shift]
