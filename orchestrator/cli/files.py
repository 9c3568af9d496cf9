"""Files the CLI reads or writes for the user, refused on one line when they cannot be.

`-o out/etl.asl.json` into a folder that does not exist is a typo more often than a wish, so it
is refused rather than created; a template that is missing or not YAML is named with the
command that makes it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from orchestrator.errors import PathError

TEMPLATE = "template.yaml"


def check_output(path: Path) -> None:
    """`path` can be written: its folder exists (it is not itself a folder: Click checks)."""
    folder = path.parent
    if not folder.is_dir():
        problem = "is not a folder" if folder.exists() else "does not exist"
        raise PathError(
            path,
            f"cannot be written: its folder {folder} {problem}",
            fix=f"create the folder (mkdir -p {folder}) or write somewhere else",
        )


def write_output(path: Path, text: str) -> None:
    check_output(path)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as err:
        raise PathError(
            path, f"cannot be written ({err.strerror or err})", fix="write somewhere else"
        ) from None


def check_template(root: Path) -> dict[str, Any]:
    """The project's template.yaml, parsed: there, YAML, a SAM template with Resources."""
    path = root / TEMPLATE
    fix = "run `orchestrator build` to (re)generate it"
    if not root.is_dir():
        raise PathError(root, "is not a project folder", fix="pass the project root with -p")
    if not path.is_file():
        raise PathError(path, "does not exist: there is nothing to validate yet", fix=fix)
    try:
        template = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        mark = getattr(err, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) or type(err).__name__
        raise PathError(path, f"is not valid YAML ({problem}{at})", fix=fix) from None
    except OSError as err:
        raise PathError(path, f"cannot be read ({err.strerror or err})", fix=fix) from None
    resources = template.get("Resources") if isinstance(template, dict) else None
    if not isinstance(resources, dict) or not all(
        isinstance(r, dict) and isinstance(r.get("Properties", {}), dict)
        for r in resources.values()
    ):
        raise PathError(path, "is not a SAM template (no Resources mapping)", fix=fix)
    return template
