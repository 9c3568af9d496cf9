"""Data flows one way: sdk → graph → planner → ASL → engine / deploy / viz, and the CLI on top.

A module may import (at module level) only from its own layer or layers upstream of it. The flow
object's convenience methods (`asl`, `run`, `visualize`) import downstream layers inside the
method — a deliberate façade — and are not module-level imports.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "orchestrator"

# Layer of each top-level module or package of `orchestrator`; higher numbers are downstream.
LAYERS = {
    "errors": 0,
    "schedules": 0,
    "triggers": 0,
    "runtime": 2,  # the task handler: knows tasks (sdk), used by the engine and Lambda
    "sdk": 1,
    "executors": 1,
    "utilities": 1,
    "graph": 2,
    "loader": 2,
    "planner": 3,
    "engine": 4,
    "deploy": 4,
    "viz": 4,
    "testing": 5,
    "cli": 6,
    "cli_build": 6,
    "__init__": 1,
}


def layer_of(module: str) -> int:
    return LAYERS[module.split(".")[1]]


def module_level_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.If):  # `if TYPE_CHECKING:` imports are for annotations only
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
    return [m for m in found if m.startswith("orchestrator.")]


def modules() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.py") if "__pycache__" not in p.parts)


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_imports_from_a_downstream_layer(path: Path) -> None:
    own = ".".join(("orchestrator", *path.relative_to(ROOT).with_suffix("").parts))
    mine = layer_of(own) if own != "orchestrator.__init__" else LAYERS["__init__"]
    for imported in module_level_imports(path):
        assert layer_of(imported) <= mine, f"{own} imports {imported} from a downstream layer"
