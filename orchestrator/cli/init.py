"""`orchestrator init [DIR] [--name NAME]`: a new project that builds, validates and tests as is.

The files come from `orchestrator/project_template/` (package data): a pyproject.toml with
`[tool.orchestrator] flows`, a `flows` package with one example flow, tests using the pytest
fixtures, a README and a .gitignore. Each is stored as `<name>.tmpl` — data, not a module of
`orchestrator` that linters, mypy or pytest would pick up — and `{{name}}` in them becomes the
project name. A directory that holds anything is refused, so init never overwrites a file.
"""

from __future__ import annotations

import re
from pathlib import Path

import typer

from orchestrator.errors import OrchestratorError

TEMPLATE = Path(__file__).resolve().parent.parent / "project_template"
PLACEHOLDER = "{{name}}"
SUFFIX = ".tmpl"
# Files stored under another name: a dotfile is easy to lose from package data.
RENAMED = {"gitignore": ".gitignore"}
# A distribution name (PEP 508) that also makes a stack name: ASCII letters, digits, - _ .
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9._-]*[A-Za-z0-9]\Z|[A-Za-z]\Z")


class InitError(OrchestratorError):
    """The directory or the name cannot hold a new project."""


def create_project(root: Path, name: str | None = None) -> list[Path]:
    """Write a new project into `root` (created if missing); the files written, relative to it."""
    name = name if name is not None else root.resolve().name
    if not _NAME.match(name):
        raise InitError(
            f"{name!r} cannot name a project: use ASCII letters, digits, '-', '_' and '.', "
            "starting with a letter. Fix: pass --name my-project"
        )
    if root.exists() and not root.is_dir():
        raise InitError(f"{root} is a file. Fix: name a new or empty directory")
    if root.is_dir() and any(root.iterdir()):
        raise InitError(
            f"{root} is not empty; init writes only into a new or empty directory. "
            "Fix: orchestrator init NEW_DIR"
        )
    written = []
    for source in sorted(TEMPLATE.rglob("*")):
        if not source.is_file() or source.suffix != SUFFIX:
            continue
        rel = source.relative_to(TEMPLATE).with_suffix("")
        rel = rel.with_name(RENAMED.get(rel.name, rel.name))
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        text = source.read_text(encoding="utf-8").replace(PLACEHOLDER, name)
        target.write_text(text, encoding="utf-8", newline="\n")
        written.append(rel)
    return written


DirectoryArgument = typer.Argument(Path("."), help="Where to create it (a new or empty folder).")
NameOption = typer.Option(None, "--name", help="The project name (default: the folder's name).")


def init(directory: Path = DirectoryArgument, name: str | None = NameOption) -> None:
    """Create a project: pyproject.toml, an example flow, tests, a README and a .gitignore."""
    written = create_project(directory, name)
    for rel in written:
        typer.echo(f"wrote {(directory / rel).as_posix()}")
    where = "" if directory.resolve() == Path.cwd() else f"cd {directory} && "
    typer.echo(f"next: {where}orchestrator build && orchestrator validate && pytest")


def register(app: typer.Typer) -> None:
    app.command("init")(init)
