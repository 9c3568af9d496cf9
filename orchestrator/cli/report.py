"""How a user error reaches the terminal: `error: <one line>` on stderr."""

from __future__ import annotations

import re
import sys
import traceback

import typer


def report_error(err: BaseException, *, debug: bool) -> None:
    if debug:
        traceback.print_exception(err, file=sys.stderr)
    prefix = typer.style("error:", fg=typer.colors.RED, bold=True)
    typer.echo(f"{prefix} {one_line(str(err))}", err=True)


def one_line(text: str) -> str:
    """Messages may quote user text with newlines; the report stays a single greppable line."""
    return re.sub(r"\s*\n\s*", " ", text.strip())
