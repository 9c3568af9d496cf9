"""`orchestrator build`: write the ASL files, template.yaml and what `sam build` packages.

Everything is computed in memory first, so a flow that fails to compile writes nothing, and
`--check` compares exactly the bytes a build would write. The committed files are the ASL files
and the template; `infra/package/` (the Lambda layer and code, `orchestrator.deploy.packaging`)
is a git-ignored build output that `write` regenerates and `--check` leaves alone.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from orchestrator.contract import STATEMACHINE_DIR, STATEMACHINE_SUFFIX
from orchestrator.deploy.packaging import package_files, sync
from orchestrator.deploy.project import FlowBuild, load_builds
from orchestrator.deploy.template import TEMPLATE_PATH, build_template, render_template
from orchestrator.settings import PYPROJECT, ProjectSettings, read_settings


@dataclass(frozen=True)
class Artifacts:
    """The files a build writes (relative path → text) and the flows they came from."""

    config: ProjectSettings
    builds: list[FlowBuild]
    files: dict[Path, str]

    @property
    def task_modules(self) -> set[str]:
        """The modules the tasks live in: what the Lambda code must hold."""
        return {n.task_key.partition(":")[0] for b in self.builds for n in b.graph.nodes}


def generate(root: Path) -> Artifacts:
    config = read_settings(root / PYPROJECT)
    builds = load_builds(config)
    files: dict[Path, str] = {b.asl_path: b.asl_text for b in builds}
    files.update({c.asl_path: c.asl_text for b in builds for c in b.children})
    files[Path(TEMPLATE_PATH)] = render_template(build_template(builds, config))
    return Artifacts(config, builds, files)


def write(artifacts: Artifacts) -> list[Path]:
    """Write the files that changed; remove ASL files of flows no longer shipped; regenerate
    `infra/package/` (reported as its layer and code folders when anything in them changed)."""
    root = artifacts.config.root
    changed = []
    for rel, text in artifacts.files.items():
        path = root / rel
        if path.is_file() and path.read_text(encoding="utf-8") == text:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
        changed.append(rel)
    for extra in _extra_asl(artifacts):
        (root / extra).unlink()
        changed.append(extra)
    changed.extend(sync(root, package_files(root, artifacts.task_modules)))
    return changed


def stale(artifacts: Artifacts) -> list[str]:
    """One line per file that differs from what a build would write (empty: all current)."""
    root = artifacts.config.root
    out = []
    for rel, text in artifacts.files.items():
        path = root / rel
        if not path.is_file():
            out.append(f"{rel.as_posix()}: missing")
            continue
        current = path.read_text(encoding="utf-8")
        if current != text:
            diff = list(difflib.unified_diff(current.splitlines(), text.splitlines(), n=0))
            added = sum(1 for d in diff if d.startswith("+") and not d.startswith("+++"))
            removed = sum(1 for d in diff if d.startswith("-") and not d.startswith("---"))
            first = next((d for d in diff if d[:1] in "+-" and d[:3] not in ("+++", "---")), "")
            out.append(f"{rel.as_posix()}: stale (+{added} -{removed} lines; first: {first[:80]})")
    out.extend(f"{p.as_posix()}: no longer generated" for p in _extra_asl(artifacts))
    return out


def _extra_asl(artifacts: Artifacts) -> list[Path]:
    folder = artifacts.config.root / STATEMACHINE_DIR
    if not folder.is_dir():
        return []
    return sorted(
        STATEMACHINE_DIR / p.name
        for p in folder.glob(f"*{STATEMACHINE_SUFFIX}")
        if STATEMACHINE_DIR / p.name not in artifacts.files
    )
