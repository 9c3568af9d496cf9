"""A user's project written into a test's folder: pyproject.toml, a package with its flows."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest


def use_project(
    root: Path, monkeypatch: pytest.MonkeyPatch, package: str, flows: str, pyproject: str
) -> Path:
    """`root` made a project whose package `package` holds `flows.py`, as the current folder and
    importable (a module of that name imported by an earlier test is forgotten)."""
    (root / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    (root / package).mkdir()
    (root / package / "__init__.py").write_text("", encoding="utf-8")
    (root / package / "flows.py").write_text(flows, encoding="utf-8")
    monkeypatch.chdir(root)
    monkeypatch.syspath_prepend(str(root))
    for name in [m for m in sys.modules if m == package or m.startswith(f"{package}.")]:
        monkeypatch.delitem(sys.modules, name)
    return root


def mesh_flows(layers: int) -> str:
    """A flows.py with one flow, `mesh`: `layers` layers of 10 tasks, each reading 2 random
    tasks of the layer before (seeded) — not series-parallel, so the planner nests Parallel
    states about a level per layer."""
    return f"""\
import random

from orchestrator import flow, task


@task
def add(a: int = 0, b: int = 0) -> int:
    return a + b + 1


@flow(name="mesh")
def mesh():
    rng = random.Random(1)
    row = [add() for _ in range(10)]
    for _ in range({layers - 1}):
        row = [add(*rng.sample(row, 2)) for _ in range(10)]
    return row[0]
"""
