"""The `orchestrator` command line.

One module per command (group); each exposes `register(app)`. To add a command, write
`orchestrator/cli/<name>.py` with a `register` function and list the module in `COMMANDS` below.
Errors: raise an `OrchestratorError` — `OrchestratorGroup` prints it on one line and exits 2
(exit codes: orchestrator/cli/report.py).
"""

from __future__ import annotations

from orchestrator.cli import (
    build,
    cost,
    deploy,
    durations,
    exec_machine,
    graph,
    init,
    logs,
    plan,
    redrive,
    run,
    run_report,
    runs,
    stop,
)
from orchestrator.cli.app import USER_ERROR_EXIT, app

# The order here is the order of `orchestrator --help`.
COMMANDS = (
    init,
    run,
    runs,
    redrive,
    run_report,
    logs,
    stop,
    plan,
    durations,
    graph,
    exec_machine,
    build,
    deploy,
    cost,
)

for _command in COMMANDS:
    _command.register(app)

__all__ = ["USER_ERROR_EXIT", "app", "main"]


def main() -> None:
    """Console entry point (`orchestrator = "orchestrator.cli:main"`)."""
    app()
