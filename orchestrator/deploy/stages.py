"""Stages: one CloudFormation stack per project and stage, named `<project>-<stage>`.

`orchestrator deploy --stage dev` and `--stage prod` deploy the same template side by side, so
the stage must be part of everything that names the deployment: the stack name (which prefixes
every resource CloudFormation names) and the samconfig environment (`[<stage>.deploy.parameters]`).
A stage is therefore restricted to what both accept, and the project name is slugged to what a
stack name accepts.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from anyascii import anyascii

from orchestrator.deploy.errors import DeployError
from orchestrator.settings import PYPROJECT

# CloudFormation: a stack name starts with a letter and holds letters, digits and hyphens.
STACK_NAME_MAX = 128
_STACK_NAME = re.compile(r"[A-Za-z][-A-Za-z0-9]*\Z")
# A stage is both a stack-name part and a bare TOML key (the samconfig environment).
STAGE_MAX = 64
_STAGE = re.compile(r"[A-Za-z0-9][-A-Za-z0-9]*\Z")


def check_stage(stage: str) -> str:
    """`stage` if it can name a stack and a samconfig environment; a DeployError says why not."""
    if len(stage) > STAGE_MAX or not _STAGE.match(stage):
        raise DeployError(
            f"stage {stage!r} cannot be part of a stack name: use 1 to {STAGE_MAX} ASCII letters, "
            "digits and hyphens, starting with a letter or digit (e.g. dev, prod, eu-staging)"
        )
    return stage


def project_name(root: Path) -> str:
    """`[project] name` of the project's pyproject.toml: what its stacks are named after.

    Required rather than guessed from the directory: a stack name decides which stack a deploy
    updates, and a renamed checkout must not silently create a second one.
    """
    path = root / PYPROJECT
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DeployError(f"{path} does not exist: run from the project root or pass it") from None
    except tomllib.TOMLDecodeError as err:
        raise DeployError(f"{path} is not valid TOML: {err}") from None
    name = data.get("project", {}).get("name")
    if not isinstance(name, str) or not name.strip():
        raise DeployError(
            f"{path} has no [project] name; add one: the stacks are named <name>-<stage>"
        )
    return name


def slug(name: str) -> str:
    """`name` as a stack-name prefix: ASCII (transliterated), hyphens, a letter first."""
    text = re.sub(r"[^A-Za-z0-9]+", "-", anyascii(name)).strip("-")
    text = re.sub(r"^[^A-Za-z]+", "", text)
    if not text:
        raise DeployError(
            f"project name {name!r} has no letter to start a stack name with; rename the project"
        )
    return text


def stack_name(project: str, stage: str) -> str:
    """`<project slug>-<stage>`, the project part shortened so the whole fits CloudFormation's
    128 characters (the stage is kept whole: it is what tells two stacks apart)."""
    check_stage(stage)
    head = slug(project)[: STACK_NAME_MAX - len(stage) - 1].rstrip("-")
    name = f"{head}-{stage}"
    assert _STACK_NAME.match(name), name  # the rules above guarantee it
    return name
