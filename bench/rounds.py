"""Taking turns and pairing per round, shared by the benchmarks that compare contenders."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
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


def fresh_interpreter(code: str) -> str:
    """Run ``code`` in a new interpreter; its stdout.

    Bytecode is written and used (``PYTHONDONTWRITEBYTECODE`` dropped), as for a package
    installed from a wheel: otherwise an editable checkout compiles every module of ours
    on each start while urllib3's come compiled, and import costs compare unlike things.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    command = [sys.executable, "-c", code]
    return subprocess.run(command, capture_output=True, text=True, check=True, env=env).stdout


def compile_once(*codes: str) -> None:
    """Run each of ``codes`` once, unmeasured, so that its imports have their bytecode."""
    for code in codes:
        fresh_interpreter(code)
