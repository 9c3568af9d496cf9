"""`orchestrator validate` is clean on the shipped template, and catches what it should."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from orchestrator.cli.build import register
from orchestrator.deploy.validate import (
    check_cfn_lint,
    check_statelint,
    load_template,
    sam_executable,
)
from tests.deploy.conftest import REPO
from tests.projects import mesh_flows


def test_validate_is_clean_on_the_shipped_template() -> None:
    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(app, ["validate", "--project", str(REPO)])
    assert result.exit_code == 0, result.output
    assert "ok   statelint" in result.output
    assert "ok   samtranslator + cfn-lint" in result.output
    if sam_executable() is None:
        assert "skip sam validate --lint: the sam CLI is not installed" in result.output
    else:
        assert "ok   sam validate --lint" in result.output


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "copy"
    (root / "infra").mkdir(parents=True)
    shutil.copy(REPO / "template.yaml", root / "template.yaml")
    shutil.copytree(REPO / "infra/statemachines", root / "infra/statemachines")
    return root


def test_statelint_problems_are_reported(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    path = root / "infra/statemachines/ETL.asl.json"
    asl = json.loads(path.read_text())
    asl["States"][asl["StartAt"]]["Next"] = "Nowhere"
    path.write_text(json.dumps(asl))
    result = check_statelint(root, load_template(root))
    assert not result.ok
    assert any("ETL.asl.json" in p and "Nowhere" in p for p in result.problems)


def test_cfn_lint_problems_are_reported(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    text = (root / "template.yaml").read_text()
    (root / "template.yaml").write_text(text.replace("MemorySize: 256", "MemorySize: 64", 1))
    result = check_cfn_lint(root, load_template(root))
    assert any("E3034" in p and "64" in p for p in result.problems), result.problems


def test_sam_translation_errors_are_reported(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    text = (root / "template.yaml").read_text()
    # A Globals section SAM does not know is a translation error.
    (root / "template.yaml").write_text(
        text.replace("Globals:\n  Function:", "Globals:\n  Funktion:", 1)
    )
    result = check_cfn_lint(root, load_template(root))
    assert any(p.startswith("samtranslator:") for p in result.problems), result.problems


def test_a_missing_validator_names_the_extra_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from orchestrator.deploy.validate import INSTALL_HINT, validate_project

    root = _copy(tmp_path)
    for module in ("statelint", "statelint.linter", "cfnlint", "cfnlint.api"):
        monkeypatch.setitem(sys.modules, module, None)  # `import` raises ModuleNotFoundError
    monkeypatch.setattr("orchestrator.deploy.validate.sam_executable", lambda: None)
    results = {r.name: r for r in validate_project(root)}
    assert results["statelint"].problems == [f"statelint is not installed: {INSTALL_HINT}"]
    assert results["samtranslator + cfn-lint"].problems == [
        f"cfnlint is not installed: {INSTALL_HINT}"
    ]
    assert results["sam validate --lint"].skipped == f"the sam CLI is not installed: {INSTALL_HINT}"
    assert INSTALL_HINT == "pip install 'orchestrator[deploy]'"


CHAIN = """\
from orchestrator import flow, task


@task
def inc(x: int) -> int:
    return x + 1


@flow(name="chain")
def chain(x: int = 0):
    for _ in range(40):
        x = inc(x)
    return x
"""

MESH = mesh_flows(6)  # 60 tasks


def _built(root: Path, monkeypatch: pytest.MonkeyPatch, name: str, flows: str) -> Path:
    from orchestrator.cli import app
    from tests.projects import use_project

    pyproject = f'[tool.orchestrator]\nflows = ["lintapp.flows:{name}"]\n'
    use_project(root, monkeypatch, "lintapp", flows, pyproject)
    result = CliRunner().invoke(app, ["build", "--project", str(root)])
    assert result.exit_code == 0, result.output
    return root


@pytest.mark.usefixtures("isolated_imports")
def test_cfn_lint_checks_a_40_task_flow_as_deployed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """samtranslator writes an inline definition out as an Fn::Join of its lines, which
    cfn-lint expands by one recursive call per line: a 20-task chain (800 lines) ended the
    process with a stack overflow, and 40 tasks were reported as a failure. The definition is
    linted as deployed, the committed text."""
    root = _built(tmp_path, monkeypatch, "chain", CHAIN)
    result = check_cfn_lint(root, load_template(root))
    assert result.ok, result.problems


@pytest.mark.usefixtures("isolated_imports")
def test_cfn_lint_s_refusal_of_parameters_on_a_parallel_state_is_not_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The developer guide lists `Parameters` (JSONPath) among a Parallel state's fields; the
    planner writes it on a Parallel that starts a machine. cfn-lint 1.58's schema refuses it:
    that finding is dropped, and only that one — the same field on a Choice state, where the
    guide has no Parameters, is still reported."""
    root = _built(tmp_path, monkeypatch, "mesh", MESH)
    path = root / "infra/statemachines/mesh.asl.json"
    asl = json.loads(path.read_text("utf-8"))
    first = asl["States"][asl["StartAt"]]
    assert first["Type"] == "Parallel" and "Parameters" in first
    assert check_cfn_lint(root, load_template(root)).ok

    asl["States"]["Odd choice"] = {
        "Type": "Choice",
        "Parameters": {"x": 1},
        "Choices": [{"Variable": "$.x", "IsPresent": True, "Next": asl["StartAt"]}],
        "Default": asl["StartAt"],
    }
    path.write_text(json.dumps(asl, indent=2) + "\n", encoding="utf-8")
    result = check_cfn_lint(root, load_template(root))
    assert not result.ok
    assert any("E3601" in p and "Odd choice" in p for p in result.problems), result.problems
