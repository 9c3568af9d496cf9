"""Reading the generated template (task states, resources by type), and issue 9's fixture
project."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


def task_states(asl: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every Task state, including those inside Parallel branches and Map processors."""
    for name, state in asl["States"].items():
        if state["Type"] == "Task":
            yield name, state
        for branch in state.get("Branches", []):
            yield from task_states(branch)
        if "ItemProcessor" in state:
            yield from task_states(state["ItemProcessor"])


def resources_of(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


#: What `orchestrator build` generated before issue 9's fixes, for a project whose two flows share
#: tasks, one scheduled and with a Distributed Map (package `shared`).
BEFORE_ISSUE9 = Path(__file__).parent / "fixtures" / "before_issue9"


def forget_fixture_modules() -> None:
    """The fixture project's package is `shared`: each copy must be imported from its own path."""
    for name in [m for m in sys.modules if m == "shared" or m.startswith("shared.")]:
        del sys.modules[name]


def build_project(root: Path) -> None:
    """`orchestrator build` in `root`, its package imported from there (not from a cache)."""
    from typer.testing import CliRunner

    from orchestrator.cli.app import app

    forget_fixture_modules()
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(root)
        mp.syspath_prepend(str(root))
        result = CliRunner().invoke(app, ["build"])
    assert result.exit_code == 0, result.output


def fixture_project_built_today(dest: Path) -> Path:
    """A copy of the fixture project at `dest`, its generated files rebuilt by today's code."""
    shutil.copytree(BEFORE_ISSUE9, dest)
    for generated in ("template.yaml", "infra"):
        path = dest / generated
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    build_project(dest)
    return dest
