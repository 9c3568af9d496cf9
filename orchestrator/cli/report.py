"""How the CLI ends: `error: <one line>` on stderr, and the exit code that goes with it.

Every failing command ends here, so the rule is written once: one greppable `error:` line that
names what went wrong and the fix, no traceback unless `--debug`, and an exit code a script can
act on.
"""

from __future__ import annotations

import re
import sys
import traceback

import typer

#: The input was wrong (a bad flow, parameter, option, file, store) — like a usage error.
USER_ERROR_EXIT = 2
#: The command ran and what it checked or ran failed: a failed run, a stale build, a deploy step.
FAILED_EXIT = 1
#: Ctrl-C: 128 + SIGINT, as a shell reports it.
INTERRUPTED_EXIT = 130


def report_error(err: BaseException | str, *, debug: bool) -> None:
    """`error: <message>` on stderr (after the traceback, with `debug`)."""
    if debug and isinstance(err, BaseException):
        traceback.print_exception(err, file=sys.stderr)
    prefix = typer.style("error:", fg=typer.colors.RED, bold=True)
    typer.echo(f"{prefix} {one_line(str(err))}", err=True)


def note(message: str) -> None:
    """`note: <message>` on stderr: worth knowing, not a failure."""
    typer.echo(f"{typer.style('note:', fg=typer.colors.YELLOW, bold=True)} {message}", err=True)


def warning(message: str) -> None:
    """`warning: <message>` on stderr: the command succeeded, but the result may disappoint."""
    typer.echo(f"{typer.style('warning:', fg=typer.colors.YELLOW, bold=True)} {message}", err=True)


def one_line(text: str) -> str:
    """Messages may quote user text with newlines; the report stays a single greppable line."""
    return re.sub(r"\s*\n\s*", " ", text.strip())
