"""Loading the flow a command names, with errors that point into the user's file."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from orchestrator.errors import FlowDefinitionError, OrchestratorError, display_path
from orchestrator.graph import FlowGraph
from orchestrator.loader import load_flow, split_spec, user_location, with_location
from orchestrator.sdk.flow import Flow

FLOW_HELP = "The flow: path/to/file.py:flow or package.module:flow (':flow' optional if only one)."
FlowSpec = Annotated[str, typer.Argument(metavar="FLOW", help=FLOW_HELP, show_default=False)]


def load_graph(spec: str) -> tuple[Flow, FlowGraph]:
    """The flow `spec` names and its validated graph (tracing the flow body if it is a @flow)."""
    flow = load_flow(spec)  # the loader reports an import that raises, SystemExit included
    try:
        return flow, flow.graph
    except SystemExit as exit_:
        raise _exited(spec, exit_, flow.name) from None
    except OrchestratorError as err:
        raise with_location(err, user_location(err.__traceback__) or _source(flow, spec)) from err
    except Exception as err:
        where = user_location(err.__traceback__)
        if where is None:  # not raised by the user's code: a bug of ours, keep the traceback
            raise
        detail = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
        raise FlowDefinitionError(
            f"building the flow failed with {detail}",
            flow=flow.name,
            where=where,
            fix="fix the flow body at that line (run with --debug for the traceback)",
        ) from err


def _exited(spec: str, exit_: SystemExit, flow: str) -> FlowDefinitionError:
    """A flow body that calls sys.exit() would end the command with its code, silently."""
    return FlowDefinitionError(
        f"building the flow called sys.exit({exit_.code!r})",
        flow=flow,
        where=user_location(exit_.__traceback__) or spec,
        fix="a flow body only calls tasks: move the exit into a task, or remove it",
    )


def _source(flow: Flow, spec: str) -> str | None:
    """Where the flow is defined: its function, else the file the spec names."""
    code = getattr(flow._fn, "__code__", None)
    if code is not None:
        return display_path(code.co_filename) + f":{code.co_firstlineno}"
    target, _ = split_spec(spec)
    module = sys.modules.get(target)
    file = getattr(module, "__file__", None) if module else target
    return display_path(file) if file else None
