"""Image output through the Graphviz `dot` program, when it is installed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from orchestrator.errors import OrchestratorError

IMAGE_FORMATS = ("svg", "png")


class RenderError(OrchestratorError):
    """A drawing could not be written (no Graphviz, an unknown file type, `dot` failed)."""


def render_image(dot_source: str, path: Path) -> None:
    """Write `path` (.svg or .png) by piping `dot_source` through `dot -T<format>`."""
    fmt = path.suffix.lstrip(".").lower()
    executable = shutil.which("dot")
    if executable is None:
        raise RenderError(
            f"Graphviz is not installed (no `dot` on PATH), so {path.name} cannot be drawn. "
            "Fix: apt-get install graphviz (brew install graphviz), or write .dot/.mmd"
        )
    result = subprocess.run(
        [executable, f"-T{fmt}", "-o", str(path)],
        input=dot_source.encode("utf-8"),
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip() or f"exit {result.returncode}"
        raise RenderError(f"Graphviz failed to draw {path.name}: {message}")
