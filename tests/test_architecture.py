"""The architecture, checked: the public names, the I/O-free core, a light import."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import apiclient

PACKAGE = Path(apiclient.__file__).resolve().parent
IO_MODULES = {
    "urllib3",
    "aiohttp",
    "redis",
    "socket",
    "ssl",
    "time",
    "http",
    "asyncio",
    "threading",
}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_policies_and_the_loop_do_no_io() -> None:
    core = [
        PACKAGE / "flow.py",
        PACKAGE / "models.py",
        *sorted((PACKAGE / "policies").glob("*.py")),
    ]
    for path in core:
        assert not imported_roots(path) & IO_MODULES, path.name


def test_all_is_sorted_and_matches_the_namespace() -> None:
    assert apiclient.__all__ == sorted(apiclient.__all__)
    for name in apiclient.__all__:
        assert getattr(apiclient, name) is not None
    public = {n for n, v in vars(apiclient).items() if not n.startswith("_")}
    submodules = {n for n, v in vars(apiclient).items() if isinstance(v, ModuleType)}
    assert public - submodules <= set(apiclient.__all__)


def test_seed_names_are_exported() -> None:
    for name in ("APIClient", "APIClient_SharedSecret", "RateLimiter", "RateExceededError"):
        assert name in apiclient.__all__


def test_import_apiclient_does_not_import_urllib3_asyncio_or_optional_parts() -> None:
    optional = ("urllib3", "aiohttp", "redis", "oauthlib", "trustme", "asyncio")
    code = f"import sys, apiclient; print(sorted(m for m in {optional!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_urllib3_transport_is_reachable_from_the_package() -> None:
    from apiclient.transports.urllib3 import Urllib3Transport

    assert apiclient.Urllib3Transport is Urllib3Transport


def test_functions_are_small_and_the_call_loop_reads_on_one_screen() -> None:
    """No function in the package over 40 lines; the request loop's entry under 60."""
    too_long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                assert node.end_lineno is not None
                lines = node.end_lineno - node.lineno + 1
                limit = 60 if (path.name, node.name) == ("flow.py", "exchange") else 40
                if lines > limit:
                    too_long.append(f"{path.relative_to(PACKAGE)}:{node.name} ({lines})")
    assert too_long == []
