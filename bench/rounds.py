"""Taking turns and pairing per round, shared by the benchmarks that compare contenders."""

from __future__ import annotations

import statistics
from typing import TypeVar

T = TypeVar("T")


def rotated(contenders: list[T], round_number: int) -> list[T]:
    """``contenders`` starting with the next one each round.

    Whoever runs after whom (a heap left fragmented, a warm cache) then favours nobody.
    """
    shift = round_number % len(contenders)
    return contenders[shift:] + contenders[:shift]


def round_ratios(values: list[float], baseline: list[float]) -> list[float]:
    """Each round's ratio of ``values`` to ``baseline``, measured in that same round."""
    return [v / b for v, b in zip(values, baseline, strict=True)]


def paired_ratio(values: list[float], baseline: list[float]) -> float:
    """The median over rounds of each round's ratio.

    A slow spell of the machine then slows both sides of a ratio alike.
    """
    return statistics.median(round_ratios(values, baseline))
