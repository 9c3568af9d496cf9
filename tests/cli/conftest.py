"""A throwaway user project for the bad-input table: flows, committed files, a run store.

Each test gets its own package name (flows are imported by module name, and a second project
reusing one would get the first one's cached module), its own working directory and its own
ORCHESTRATOR_STORE, holding one earlier run whose history must survive every bad input.
"""

from __future__ import annotations

import hashlib
import itertools
import sqlite3
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

_counter = itertools.count()

FLOWS = """
import os
import sys
import threading

from orchestrator import Flow, Parameter, flow, task


@task
def add(n: int) -> int:
    return n + 1


@task
def boom(n: int) -> int:
    raise ValueError(f"bad {n}")


@task
def exits(n: int) -> int:
    sys.exit(3)


@task
def exits_none(n: int) -> int:
    sys.exit()


@task(timeout=30)
def exits_on_worker(n: int) -> int:
    sys.exit(5)


@task
def raises_system_exit(n: int) -> int:
    raise SystemExit("bye")


@task
def interrupts(n: int) -> int:
    raise KeyboardInterrupt


@task(timeout=30)
def interrupts_on_worker(n: int) -> int:
    raise KeyboardInterrupt


@task
def not_json(n: int) -> set:
    return {n}


@task
def divide(n: int) -> float:
    return 1 / n


@task
def hard_exit(n: int) -> int:
    os._exit(4)


@task
def sleeps(n: int) -> int:
    threading.Event().wait(60)
    return n


@task
def join(names: list[str], when: str) -> str:
    return when + ",".join(names)


@flow
def good(n: int = 1):
    return add(n)


@flow
def bad(n: int = 1):
    return boom(n)


@flow
def exit3(n: int = 1):
    return exits(n)


@flow
def exit_none(n: int = 1):
    return exits_none(n)


@flow
def exit_worker(n: int = 1):
    return exits_on_worker(n)


@flow
def system_exit(n: int = 1):
    return raises_system_exit(n)


@flow
def interrupted(n: int = 1):
    return interrupts(n)


@flow
def interrupted_worker(n: int = 1):
    return interrupts_on_worker(n)


@flow
def returns_set(n: int = 1):
    return not_json(n)


@flow
def divides(n: int = 1):
    return divide(n)


@flow
def hard(n: int = 1):
    return hard_exit(n)


@flow
def slow(n: int = 1):
    return sleeps(n)


@flow
def typed(n: int, names: list[str] = [], when: str = "x"):
    add(n)
    return join(names, when)


with Flow("legacy") as legacy:
    add(Parameter("n", default=1))
"""

TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Committed:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionUri: infra/statemachines/Committed.asl.json
"""
COMMITTED_ASL = '{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}\n'


@dataclass
class Project:
    root: Path
    package: str
    store: Path

    def spec(self, flow: str) -> str:
        return f"{self.package}.flows:{flow}"

    def write(self, rel: str, text: str | bytes) -> Path:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    def pyproject(self, extra: str = "", flows: str | None = None) -> None:
        listed = flows if flows is not None else f'["{self.spec("good")}"]'
        self.write(
            "pyproject.toml",
            f"[project]\nname = 'demo'\n\n[tool.orchestrator]\nflows = {listed}\n{extra}",
        )

    def forget_modules(self) -> None:
        """Drop the project's imported modules (and their flows' cached graphs)."""
        for name in [
            m for m in sys.modules if m == self.package or m.startswith(self.package + ".")
        ]:
            del sys.modules[name]

    def committed(self) -> dict[str, str]:
        """Hash of every committed file: template.yaml, infra/statemachines/, the sources."""
        files = [self.root / "template.yaml", self.root / "pyproject.toml"]
        files += sorted((self.root / "infra").rglob("*")) + sorted(
            (self.root / self.package).rglob("*.py")
        )
        return {
            str(f.relative_to(self.root)): hashlib.sha256(f.read_bytes()).hexdigest()
            for f in files
            if f.is_file()
        }

    def history(self) -> dict[str, tuple[str, int]]:
        """Every run in the default store: name → (status, number of events)."""
        from orchestrator.local.store import RunStore

        db = sqlite3.connect(self.store)
        try:
            runs = db.execute("SELECT arn, name, status FROM executions").fetchall()
        finally:
            db.close()
        store = RunStore(self.store, readonly=True)
        try:
            return {name: (status, len(store.get(arn).events)) for arn, name, status in runs}
        finally:
            store.close()


@pytest.fixture
def project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated_imports: None
) -> Iterator[Project]:
    package = f"cliproj{next(_counter)}_{tmp_path.name.replace('-', '_')}"
    root = tmp_path / "project"
    proj = Project(root, package, root / ".orchestrator" / "runs.sqlite")
    proj.write(f"{package}/__init__.py", "")
    proj.write(f"{package}/flows.py", FLOWS)
    proj.pyproject()
    proj.write("template.yaml", TEMPLATE)
    proj.write("infra/statemachines/Committed.asl.json", COMMITTED_ASL)
    monkeypatch.chdir(root)
    monkeypatch.syspath_prepend(str(root))
    monkeypatch.setenv("ORCHESTRATOR_STORE", str(proj.store))
    monkeypatch.delenv("ORCHESTRATOR_DEBUG", raising=False)
    from orchestrator.loader import load_flow

    earlier = load_flow(proj.spec("good")).run(n=1)
    assert earlier.succeeded
    yield proj
    proj.forget_modules()
