"""The `orchestrator` Typer app: global options and the one place user errors are reported.

Every command registered on `app` runs inside `OrchestratorGroup.invoke`, so an
`OrchestratorError` from any of them — or from the user's code they import and trace — becomes one
line on stderr and exit code 2, without each command repeating the handling.
"""

from __future__ import annotations

import warnings
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from orchestrator.cli.report import report_error
from orchestrator.contract import DEBUG_ENV
from orchestrator.errors import OrchestratorError

USER_ERROR_EXIT = 2  # like a usage error: the input was wrong, not the tool
_DEBUG = "orchestrator.debug"


class OrchestratorGroup(TyperGroup):
    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except OrchestratorError as err:
            report_error(err, debug=bool(ctx.meta.get(_DEBUG)))
            raise typer.Exit(USER_ERROR_EXIT) from None


app = typer.Typer(
    name="orchestrator",
    cls=OrchestratorGroup,
    help="Python workflows compiled to AWS Step Functions.",
    no_args_is_help=True,
    add_completion=False,
    # A crash of the tool itself should print a plain traceback that can be pasted in a bug.
    pretty_exceptions_enable=False,
)


@app.callback()
def _global_options(
    ctx: typer.Context,
    debug: Annotated[
        bool,
        typer.Option(
            "--debug",
            envvar=DEBUG_ENV,
            help="Show the traceback of errors in flow definitions.",
        ),
    ] = False,
) -> None:
    ctx.meta[_DEBUG] = debug
    warnings.showwarning = _show_note


def _show_note(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    """Warnings (e.g. the planner's SynchronisationAdded) as one `note:` line on stderr."""
    typer.echo(f"{typer.style('note:', fg=typer.colors.YELLOW, bold=True)} {message}", err=True)
