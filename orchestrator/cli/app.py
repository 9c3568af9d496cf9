"""The `orchestrator` Typer app: global options and the one place errors are reported.

Every command registered on `app` runs inside `OrchestratorGroup`, so no command repeats the
handling: an `OrchestratorError` from any of them — or from the user's code they import and
trace — and a usage error (an unknown option, a bad value) become one `error:` line on stderr and
exit code 2; Ctrl-C becomes one line and exit code 130 (`orchestrator.cli.report`).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from importlib import metadata
from typing import Annotated, Any

import typer

# Typer vendors Click; these are the classes its parser raises and its commands receive.
from typer._click import Context
from typer._click.exceptions import ClickException, UsageError
from typer.core import TyperGroup

from orchestrator.cli.report import INTERRUPTED_EXIT, USER_ERROR_EXIT, note, report_error
from orchestrator.contract import DEBUG_ENV
from orchestrator.errors import OrchestratorError, RunAborted

DISTRIBUTION = "orchestrator"
_DEBUG = "orchestrator.debug"


class OrchestratorGroup(TyperGroup):
    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        """Click's usage errors on one line too (Click prints a usage block and `Error:`)."""
        try:
            code = super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        except ClickException as err:
            command = err.ctx.command_path if isinstance(err, UsageError) and err.ctx else ""
            hint = f". Fix: see `{command} --help`" if command else ""
            report_error(err.format_message().rstrip(".") + hint, debug=False)
            code = USER_ERROR_EXIT if isinstance(err, UsageError) else err.exit_code
        except typer.Abort:
            report_error("aborted", debug=False)
            code = INTERRUPTED_EXIT
        if not standalone_mode:
            return code
        raise SystemExit(code if isinstance(code, int) else 0)

    def invoke(self, ctx: Context) -> Any:
        try:
            return super().invoke(ctx)
        except OrchestratorError as err:
            report_error(err, debug=is_debug(ctx))  # (--debug is set inside super().invoke)
            raise typer.Exit(USER_ERROR_EXIT) from None
        except RunAborted as err:
            report_error(err, debug=is_debug(ctx))
            raise typer.Exit(INTERRUPTED_EXIT) from None
        except KeyboardInterrupt as err:
            what = ctx.invoked_subcommand or "command"
            report_error(f"interrupted ({what})", debug=is_debug(ctx))
            raise typer.Exit(INTERRUPTED_EXIT) from err


app = typer.Typer(
    name="orchestrator",
    cls=OrchestratorGroup,
    help="Python workflows compiled to AWS Step Functions.",
    no_args_is_help=True,
    add_completion=False,
    # Help texts quote TOML tables ([tool.orchestrator]): rich markup would eat them.
    rich_markup_mode=None,
    # A crash of the tool itself should print a plain traceback that can be pasted in a bug.
    pretty_exceptions_enable=False,
)


def version() -> str:
    """The installed package's version (what `pip show orchestrator` says)."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"orchestrator {version()}")
        raise typer.Exit()


@app.callback()
def _global_options(
    ctx: typer.Context,
    debug: Annotated[
        bool,
        typer.Option(
            "--debug",
            envvar=DEBUG_ENV,
            help="Show tracebacks, and a failed task's full error (JSON).",
        ),
    ] = False,
    _version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_print_version, help="Print the version."
        ),
    ] = False,
) -> None:
    ctx.meta[_DEBUG] = debug
    warnings.showwarning = _show_note


def is_debug(ctx: Context) -> bool:
    """Whether `--debug` (or ORCHESTRATOR_DEBUG) is on, from any command's context."""
    return bool(ctx.meta.get(_DEBUG))


def _show_note(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    """Warnings (the planner's SynchronisationAdded, a run store that is off) as `note:` lines."""
    note(str(message))
