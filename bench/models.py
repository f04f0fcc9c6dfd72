"""What model= costs: a 1 MB JSON list decoded into each model kind, against json.loads.

Usage: .venv/bin/python bench/models.py [--rounds R]

The body is a list of repository-like objects (nested owner, a list, optional fields),
about 1 MB. Each contender turns those bytes into its result; each round runs them all
(in an order that changes every round) and the table shows, per contender, the median
CPU time and the median of the per-round ratios to ``json.loads`` alone:

- ``json.loads``: the bytes to dicts and lists, nothing checked (the baseline);
- ``dataclass`` / ``TypedDict`` / ``attrs``: apiclient's own validator (``AutoDecoder``),
  on the parsed value, as a client call with ``model=`` does it;
- ``pydantic (apiclient)`` / ``msgspec (apiclient)``: the same models through
  ``AutoDecoder``, from the bytes;
- ``pydantic model_validate_json`` / ``msgspec.json.decode``: the libraries called
  directly, for reference.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NotRequired, TypedDict

import attrs
import msgspec
import pydantic

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rounds import rotated, round_ratios

from apiclient.decoders import AutoDecoder


@dataclasses.dataclass
class Owner:
    login: str
    id: int
    site_admin: bool


@dataclasses.dataclass
class Repo:
    id: int
    name: str
    full_name: str
    private: bool
    owner: Owner
    topics: list[str]
    stargazers_count: int
    score: float
    description: str | None = None


class OwnerDict(TypedDict):
    login: str
    id: int
    site_admin: bool


class RepoDict(TypedDict):
    id: int
    name: str
    full_name: str
    private: bool
    owner: OwnerDict
    topics: list[str]
    stargazers_count: int
    score: float
    description: NotRequired[str | None]


@attrs.define
class OwnerAttrs:
    login: str
    id: int
    site_admin: bool


@attrs.define
class RepoAttrs:
    id: int
    name: str
    full_name: str
    private: bool
    owner: OwnerAttrs
    topics: list[str]
    stargazers_count: int
    score: float
    description: str | None = None


class OwnerModel(pydantic.BaseModel):
    login: str
    id: int
    site_admin: bool


class RepoModel(pydantic.BaseModel):
    id: int
    name: str
    full_name: str
    private: bool
    owner: OwnerModel
    topics: list[str]
    stargazers_count: int
    score: float
    description: str | None = None


class OwnerStruct(msgspec.Struct):
    login: str
    id: int
    site_admin: bool


class RepoStruct(msgspec.Struct):
    id: int
    name: str
    full_name: str
    private: bool
    owner: OwnerStruct
    topics: list[str]
    stargazers_count: int
    score: float
    description: str | None = None


def body(size: int = 1_000_000) -> bytes:
    """A JSON list of repositories about ``size`` bytes long."""
    repos: list[dict[str, Any]] = []
    while True:
        n = len(repos)
        repos.append(
            {
                "id": n,
                "name": f"project-{n}",
                "full_name": f"shazow/project-{n}",
                "private": n % 3 == 0,
                "owner": {"login": "shazow", "id": 1, "site_admin": False},
                "topics": ["http", "python", "client"][: n % 4],
                "stargazers_count": n * 7,
                "score": n / 3,
                "description": None if n % 2 else f"The {n}th project",
                "html_url": f"https://github.com/shazow/project-{n}",
            }
        )
        if n % 100 == 0 and len(json.dumps(repos)) >= size:
            return json.dumps(repos).encode()


def contenders() -> dict[str, Callable[[bytes], Any]]:
    decoder = AutoDecoder()
    adapter = pydantic.TypeAdapter(list[RepoModel])
    return {
        "json.loads": json.loads,
        "dataclass": lambda data: decoder.convert(json.loads(data), list[Repo]),
        "TypedDict": lambda data: decoder.convert(json.loads(data), list[RepoDict]),
        "attrs": lambda data: decoder.convert(json.loads(data), list[RepoAttrs]),
        "pydantic (apiclient)": lambda data: decoder.decode(data, list[RepoModel]),
        "pydantic validate_json": adapter.validate_json,
        "msgspec (apiclient)": lambda data: decoder.decode(data, list[RepoStruct]),
        "msgspec.json.decode": lambda data: msgspec.json.decode(data, type=list[RepoStruct]),
    }


def cpu(decode: Callable[[bytes], Any], data: bytes, repeat: int) -> float:
    gc.collect()
    start = time.process_time()
    for _ in range(repeat):
        decode(data)
    return (time.process_time() - start) / repeat


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    data = body()
    runners = contenders()
    for decode in runners.values():  # warm: compile validators, adapters
        decode(data)
    times: dict[str, list[float]] = {name: [] for name in runners}
    for number in range(args.rounds):
        for name in rotated(list(runners), number):
            times[name].append(cpu(runners[name], data, args.repeat))
    count = len(json.loads(data))
    print(f"decoding {len(data) / 1e6:.2f} MB ({count} objects), {args.rounds} rounds, "
          f"{time.strftime('%Y-%m-%d %H:%M')}")  # fmt: skip
    print(f"{'contender':<24} {'ms (median)':>12} {'x json.loads':>13} {'range':>13}")
    for name, values in times.items():
        ratios = round_ratios(values, times["json.loads"])
        print(
            f"{name:<24} {statistics.median(values) * 1e3:12.2f} "
            f"{statistics.median(ratios):12.2f}x {min(ratios):6.2f}-{max(ratios):.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
