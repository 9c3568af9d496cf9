"""The git revision a deploy records: the stack parameter `GitCommit` (tag `orchestrator:commit`).

`template.yaml` records only a reproducible code hash (see docs/deploy.md, "Versions"); which
commit was deployed is known only at deploy time, so `orchestrator deploy` passes it as
`--parameter-overrides GitCommit=<sha>`. A working tree with changes deploys something no commit
holds, which the `-dirty` suffix says (as `git describe --dirty` does).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

UNKNOWN = "unknown"  # the template's default for GitCommit: not deployed from a git checkout
DIRTY_SUFFIX = "-dirty"


def git_revision(root: Path) -> str:
    """`git rev-parse HEAD` of the checkout holding `root`, `-dirty` when `git status --porcelain`
    lists anything; "unknown" outside a git checkout, without git, or before a first commit."""
    head = _git(root, "rev-parse", "--verify", "HEAD")
    if head is None:
        return UNKNOWN
    status = _git(root, "status", "--porcelain")
    return head + DIRTY_SUFFIX if status else head


def _git(root: Path, *args: str) -> str | None:
    try:
        proc = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None
