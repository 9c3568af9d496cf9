"""Fixtures for the deploy tests: the repository's own artifacts, and throwaway projects."""

from __future__ import annotations

import itertools
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from orchestrator.deploy.build import Artifacts, generate
from orchestrator.deploy.packaging import package_files, sync

REPO = Path(__file__).resolve().parents[2]
_counter = itertools.count()

MakeProject = Callable[..., Path]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: takes tens of seconds (sam build)")


@pytest.fixture(scope="session")
def repo_artifacts() -> Artifacts:
    return generate(REPO)


def package_repo() -> Path:
    """Write the repository's `infra/package/` (git-ignored, so absent from a fresh clone) as
    `orchestrator build` would, without touching the committed files; the repository root."""
    sync(REPO, package_files(REPO, generate(REPO).task_modules))
    return REPO


@pytest.fixture
def make_project(tmp_path: Path) -> MakeProject:
    """Write a one-module project: `make_project(source, extra_toml="")` → its root.

    Each project gets its own package name, because flows are imported by module name and a
    second project reusing one would get the first one's cached module.
    """

    def make(source: str, extra_toml: str = "", flows: tuple[str, ...] = ("flow",)) -> Path:
        package = f"deployproj{next(_counter)}_{tmp_path.name.replace('-', '_')}"
        root = tmp_path / "project"
        (root / package).mkdir(parents=True)
        (root / package / "__init__.py").write_text("")
        (root / package / "demo.py").write_text(textwrap.dedent(source))
        specs = ", ".join(f'"{package}.demo:{name}"' for name in flows)
        (root / "pyproject.toml").write_text(
            f"[project]\nname = 'demo'\n\n[tool.orchestrator]\nflows = [{specs}]\n{extra_toml}"
        )
        return root

    return make


SIMPLE_FLOW = """
from orchestrator import flow, task


@task(timeout=30, memory=512)
def fetch(n: int) -> list[int]:
    return list(range(n))


@task
def total(xs: list[int]) -> int:
    return sum(xs)


@flow(name="simple", schedule="rate(2 hours)")
def flow(n: int = 3):
    return total(fetch(n))
"""
