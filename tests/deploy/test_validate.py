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
