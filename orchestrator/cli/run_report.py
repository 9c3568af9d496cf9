"""`orchestrator report RUN_ID [--aws] -o run.html`: one past run as a self-contained HTML page.

The run comes from the local run store (as `orchestrator runs list` shows it), or with --aws
from a deployed stage's Step Functions history (as `orchestrator runs list --aws` shows it);
its graph from the flow that ran it: the project's flow (`[tool.orchestrator] flows`) whose
state machine the run executed, or the one `--flow` names. The page itself is built from plain
data — graph, summary, history — by `orchestrator.viz.run_report`. A run that cannot be found,
a flow that does not match it and an output that cannot be written are one `error:` line,
exit 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from orchestrator.cli.aws_options import (
    AwsFlag,
    AwsTarget,
    ProfileOption,
    RegionOption,
    StageOption,
)
from orchestrator.cli.files import check_output, write_output
from orchestrator.cli.flows import FLOW_HELP, load_graph
from orchestrator.engine.execution import Execution
from orchestrator.errors import ParameterError
from orchestrator.graph import FlowGraph
from orchestrator.loader import load_flow
from orchestrator.local import default_store
from orchestrator.local.flowrun import task_runs_of
from orchestrator.settings import read_settings
from orchestrator.viz.run_report import RunSummary, run_report

PYPROJECT = Path("pyproject.toml")


def report(
    run_id: Annotated[
        str,
        typer.Argument(
            metavar="RUN_ID",
            help="A run id as `orchestrator runs list` shows it (or a unique prefix).",
            show_default=False,
        ),
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", dir_okay=False, help="The HTML file to write [default: run-ID.html]."
        ),
    ] = None,
    flow: Annotated[
        str | None,
        typer.Option(
            "--flow",
            metavar="FLOW",
            help="The flow that ran, when it is not one of [tool.orchestrator] flows. " + FLOW_HELP,
        ),
    ] = None,
    aws: AwsFlag = False,
    stage: StageOption = None,
    profile: ProfileOption = None,
    region: RegionOption = None,
) -> None:
    """Write an HTML report of a past run: graph, timeline of every attempt, sizes, errors.

    The page is one file that needs no network: open it in any browser, attach it to a ticket.
    """
    if output is not None:
        check_output(output)  # before the flows are imported: a typo fails fast
    target = AwsTarget(aws, stage, profile, region)
    if target.check("report"):  # an execution of a deployed stage, read from Step Functions
        from orchestrator.aws import executions

        deployment = target.connect()
        execution = executions.read(deployment, executions.find(deployment, run_id))
    else:
        execution = _execution(run_id)
    graph = _graph_of(execution, flow)
    tasks = task_runs_of(graph, execution.events)
    html = run_report(graph, RunSummary.of(execution, graph.name), execution.events, tasks)
    path = output if output is not None else Path(f"run-{execution.name}.html")
    write_output(path, html)
    typer.echo(str(path))


def _execution(run_id: str) -> Execution:
    store = default_store(readonly=True)
    try:
        return store.get(run_id)
    except KeyError as err:
        raise ParameterError(
            f"{err.args[0]} in the run store {store.path}; see `orchestrator runs list`"
        ) from None
    finally:
        store.close()


def _graph_of(execution: Execution, spec: str | None) -> FlowGraph:
    """The graph of the flow whose state machine `execution` ran."""
    machine = execution.state_machine
    if spec is not None:
        graph = load_graph(spec)[1]
        if graph.resource_name != machine:
            raise ParameterError(
                f"run {execution.name} ran state machine {machine!r}, but flow {graph.name!r} "
                f"({spec}) builds {graph.resource_name!r}; pass the flow that ran it"
            )
        return graph
    where = f"there is no ./{PYPROJECT} listing the project's flows"
    if PYPROJECT.is_file():
        settings = read_settings(PYPROJECT, need_flows=False)
        for flow_spec in settings.flows:
            graph = load_flow(flow_spec, settings.root).graph
            if graph.resource_name == machine:
                return graph
        where = f"no flow of [tool.orchestrator] flows in ./{PYPROJECT} builds it"
    raise ParameterError(
        f"run {execution.name} ran state machine {machine!r}, and {where}; name its flow: "
        f"orchestrator report {execution.name} --flow path/to/file.py:flow"
    )


def register(app: typer.Typer) -> None:
    app.command("report")(report)
