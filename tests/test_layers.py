"""The package import graph points only down the layers of docs/architecture.md, with no cycle.

Imports are read with ``ast`` (nothing is imported), so the test sees function-local and
type-checking imports too: a layer may not reach up even lazily.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "forecasting"

# Lower numbers sit lower. A module may import its own package and anything with a lower rank;
# two different packages of one rank (capacity and savings) never import each other.
LAYERS: dict[str, int] = {
    "forecasting.errors": 0,
    "forecasting.interface": 1,
    "forecasting.arguments": 2,
    "forecasting.export": 4,
    "forecasting.presentation": 2,
    "forecasting.periods": 2,
    "forecasting.store": 3,
    "forecasting.ingest": 4,
    "forecasting.scenario": 4,
    "forecasting.models": 5,
    "forecasting.demand": 6,
    "forecasting.variance": 6,
    "forecasting.capacity": 7,
    "forecasting.savings": 7,
    "forecasting.anomalies": 7,
    "forecasting.demo": 8,
    "forecasting.views": 9,
    "forecasting.excel": 9,
    "forecasting.commands": 10,
    "forecasting.results": 10,
    "forecasting.cli": 11,
}
# The command line edge: each feature's `register` and handlers. Handlers import the library
# when they run; at module level they import only light modules, so `capcost --help` is fast.
CLI_EDGE = ("commands", "cli")
LIGHT = {"forecasting.arguments", "forecasting.errors", "forecasting.interface"}


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[str, bool]]:
    """``(imported module, at module level)`` for every ``forecasting`` import in a file."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: list[tuple[str, bool]] = []
    top = set(map(id, tree.body))
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        for name in names:
            if name.startswith("forecasting"):
                found.append((name, id(node) in top))
    return found


def _layer(module: str) -> str:
    best = max((k for k in LAYERS if module == k or module.startswith(k + ".")), key=len)
    return best


MODULES = {_module(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(name: str) -> str | None:
    """The module file an import names (``from pkg import sub`` names the submodule)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _is_edge(module: str) -> bool:
    return module.rpartition(".")[2] in CLI_EDGE


def test_every_package_has_a_layer() -> None:
    for module in MODULES:
        if module != "forecasting":
            assert any(module == k or module.startswith(k + ".") for k in LAYERS), module


@pytest.mark.parametrize("module", [m for m in MODULES if m != "forecasting"])
def test_imports_point_down_the_layers(module: str) -> None:
    here = _layer(module)
    for name, _ in _imports(MODULES[module]):
        target = _resolve(name)
        if target is None or target == "forecasting" or _is_edge(module):
            continue
        there = _layer(target)
        if there == here:
            continue
        assert LAYERS[there] < LAYERS[here], (
            f"{module} imports {target}: {there} is not below {here}"
        )


@pytest.mark.parametrize("module", [m for m in MODULES if _is_edge(m)])
def test_command_modules_import_only_light_modules_at_load(module: str) -> None:
    for name, top_level in _imports(MODULES[module]):
        target = _resolve(name)
        if not top_level or target is None or _is_edge(target) or target == "forecasting":
            continue
        is_package = MODULES[target].name == "__init__.py"
        light = target in LIGHT or target.endswith(".settings") or is_package
        assert light, f"{module} imports {target} at load time"


def test_no_import_cycle() -> None:
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for module, path in MODULES.items():
        for name, top_level in _imports(path):
            target = _resolve(name)
            # A submodule's own parent packages are initialised before it: not a cycle.
            if top_level and target and not (module + ".").startswith(target + "."):
                graph[module].add(target)
    done: set[str] = set()

    def visit(node: str, stack: list[str]) -> None:
        if node in stack:
            cycle = [*stack[stack.index(node) :], node]
            pytest.fail("import cycle: " + " -> ".join(cycle))
        if node in done:
            return
        for child in sorted(graph[node]):
            visit(child, [*stack, node])
        done.add(node)

    for module in sorted(graph):
        visit(module, [])


def loaded_after(statement: str, modules: tuple[str, ...]) -> list[str]:
    """Which of ``modules`` a fresh interpreter has imported after running ``statement``."""
    code = f"import sys; {statement}; print(' '.join(m for m in {modules!r} if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return out.stdout.split()


def test_the_parser_loads_no_heavy_library() -> None:
    """`capcost --help` builds every command's parser: it must not pay for pandas or models."""
    heavy = ("pandas", "numpy", "duckdb", "statsmodels", "scipy", "statsforecast", "boto3")
    assert loaded_after("from forecasting.cli import build_parser; build_parser()", heavy) == []


def test_the_app_loads_no_model_library_until_a_model_fits() -> None:
    """A page reading stored forecasts imports the app, the views and the forecasting engine
    (which serves them): none of that may pay for scipy, statsmodels, statsforecast or numba
    (1 to 2.5 s each on a first visit), nor for XlsxWriter before the pack is downloaded."""
    statement = (
        "import app.state, app.widgets, app.charts; "
        "import forecasting.models.engine, forecasting.models.registry"
    )
    heavy = ("statsmodels", "scipy", "statsforecast", "numba", "xlsxwriter", "boto3")
    assert loaded_after(statement, heavy) == []
