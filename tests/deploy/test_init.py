"""`orchestrator init`: a project whose build passes as written; never over existing files."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orchestrator.cli import app
from orchestrator.deploy.build import generate


def test_init_writes_a_project_that_builds(tmp_path: Path, isolated_imports: None) -> None:
    root = tmp_path / "new-project"
    result = CliRunner().invoke(app, ["init", str(root)])
    assert result.exit_code == 0, result.output
    written = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    assert written == [
        ".gitignore",
        "README.md",
        "conftest.py",
        "flows/__init__.py",
        "flows/example.py",
        "pyproject.toml",
        "tests/test_example.py",
    ]
    config = tomllib.loads((root / "pyproject.toml").read_text())
    assert config["project"]["name"] == "new-project"  # the folder's name without --name
    assert config["tool"]["orchestrator"]["flows"] == ["flows.example:squares"]
    assert "infra/package/" in (root / ".gitignore").read_text().splitlines()
    assert "{{" not in (root / "README.md").read_text()
    (build,) = generate(root).builds
    assert build.graph.name == "squares"


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["--name", "9lives"], "cannot name a project"),
        (["--name", "my project"], "cannot name a project"),
    ],
)
def test_init_refuses_a_bad_name(tmp_path: Path, args: list[str], problem: str) -> None:
    result = CliRunner().invoke(app, ["init", str(tmp_path / "p"), *args])
    assert result.exit_code == 2 and problem in result.output
    assert not (tmp_path / "p").exists()


def test_init_refuses_a_folder_that_holds_anything(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine\n")
    result = CliRunner().invoke(app, ["init", str(tmp_path), "--name", "demo"])
    assert result.exit_code == 2
    assert "is not empty" in result.output and "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
