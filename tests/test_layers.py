"""Imports go one way, between packages and inside functions alike; the engine imports nothing.

Layer of a module = how much of the package it may build on: a module imports only from its own
layer or lower ones — at module level *and* inside functions (a lazy import is still a
dependency; it only changes when the cost is paid). Data flows sdk → graph → planner → ASL →
engine / deploy / viz, and the SDK, the user's façade, sits above the layers its methods drive
(`flow.graph`, `flow.asl()`, `flow.run()`, `flow.visualize()`), so none of them imports it back.
"""

from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "orchestrator"

# Top-level module or package of `orchestrator` → layer; higher numbers build on lower ones.
LAYERS = {
    "errors": 0,
    "records": 0,  # `record`, dataclass without compiling: for any layer but the engine
    "engine": 0,  # a pure ASL interpreter: imports nothing else of ours (checked below)
    "contract": 1,  # our conventions; re-exports the AWS facts of engine.spec
    "options": 1,
    "signals": 1,  # SKIP/FAIL: raised by tasks, recognised by the runtime
    "settings": 2,
    "graph": 3,
    "durations": 3,  # durations.json: what the planner's callers weigh tasks by
    "planner": 4,
    "viz": 4,
    "runtime": 4,  # what a task Lambda imports: the contract, never the SDK
    "local": 5,  # engine + runtime + graph: a local run of plain data
    "sdk": 6,  # the user's façade over everything below
    "triggers": 6,  # public paths of sdk/ modules
    "control_flow": 6,
    "schedules": 6,
    "__init__": 6,
    "compat": 7,  # Prefect 1.x shims, re-exported at Prefect's paths
    "executors": 7,
    "utilities": 7,
    "loader": 7,
    "deploy": 8,
    # Remote executions: the stage's stack (named and read as deploy names and writes it), read
    # back into local runs' FlowRun; the CLI and the testing harness build on it.
    "aws": 8,
    "testing": 9,
    "cli": 10,
}


def package_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def modules() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.py") if "__pycache__" not in p.parts)


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(("orchestrator", *parts))


def imports(path: Path) -> list[tuple[str, int]]:
    return imports_in(
        path.read_text(encoding="utf-8"), module_name(path), path.name == "__init__.py"
    )


def imports_in(source: str, own: str, is_package: bool) -> list[tuple[str, int]]:
    """Every `orchestrator.*` import of the module `own` with its line: at module level, inside
    functions and methods; not in `if TYPE_CHECKING:` blocks, which are for annotations only."""
    found: list[tuple[str, int]] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                for orelse in child.orelse:
                    visit(orelse)
                continue
            if isinstance(child, ast.ImportFrom):
                if child.level:  # relative: resolve against this module's package
                    base = own.split(".")
                    keep = len(base) - child.level + is_package
                    target = ".".join(base[:keep] + ([child.module] if child.module else []))
                else:
                    target = child.module or ""
                found.append((target, child.lineno))
            elif isinstance(child, ast.Import):
                found.extend((alias.name, child.lineno) for alias in child.names)
            visit(child)

    visit(ast.parse(source))
    return [(m, line) for m, line in found if m == "orchestrator" or m.startswith("orchestrator.")]


def test_every_package_has_a_layer() -> None:
    missing = {package_of(module_name(p)) for p in modules()} - set(LAYERS)
    assert not missing, f"give these a layer in tests/test_layers.py: {sorted(missing)}"


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_import_from_a_higher_layer(path: Path) -> None:
    own = module_name(path)
    mine = LAYERS[package_of(own)]
    for imported, line in imports(path):
        theirs = LAYERS[package_of(imported)]
        assert theirs <= mine, f"{own}:{line} imports {imported} (layer {theirs}) from layer {mine}"


def test_the_engine_imports_nothing_else_of_ours() -> None:
    for path in (ROOT / "engine").rglob("*.py"):
        for imported, line in imports(path):
            assert imported.startswith("orchestrator.engine"), f"{path}:{line} imports {imported}"


def test_no_import_cycle_between_packages() -> None:
    edges: dict[str, set[str]] = {}
    for path in modules():
        own = package_of(module_name(path))
        for imported, _ in imports(path):
            other = package_of(imported)
            if other != own:
                edges.setdefault(own, set()).add(other)
    graphlib.TopologicalSorter(edges).prepare()  # raises CycleError naming the cycle


def test_the_checker_sees_imports_inside_functions() -> None:
    """The layer check must not be fooled by a lazy import or a relative one."""
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from orchestrator.cli import app\n"
        "def f():\n    from orchestrator.deploy import build\n"
        "class C:\n    def m(self):\n        import orchestrator.testing.moto\n"
        "from .clock import Clock\n"
    )
    found = [m for m, _ in imports_in(source, "orchestrator.engine.lane", is_package=False)]
    assert found == [
        "orchestrator.deploy",
        "orchestrator.testing.moto",
        "orchestrator.engine.clock",
    ]
