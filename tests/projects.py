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
