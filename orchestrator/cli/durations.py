"""`orchestrator durations record [FLOW…]`: write the tasks' typical durations to durations.json.

The planner weighs tasks by duration when a flow is not series-parallel (`orchestrator.durations`
says where each weight comes from). This command is the one way recorded durations get there:
explicitly, into a file that is committed and reviewed like code, so that `orchestrator build`
comes out the same on every clone.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from orchestrator.cli.aws_options import (
    AwsFlag,
    AwsTarget,
    ProfileOption,
    RegionOption,
    StageOption,
)
from orchestrator.cli.flows import FLOW_HELP, load_graph
from orchestrator.cli.report import note
from orchestrator.durations import (
    DEFAULT_RUNS,
    DURATIONS_FILE,
    FlowDurations,
    read_durations,
    typical,
    write_durations,
)
from orchestrator.errors import FlowDefinitionError, PathError, display_path
from orchestrator.loader import load_project_flows

if TYPE_CHECKING:
    from orchestrator.local.durations import Samples
    from orchestrator.sdk.flow import Flow

durations_app = typer.Typer(
    help=f"Task durations recorded from past runs ({DURATIONS_FILE}), which the planner weighs.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


@durations_app.command("record")
def record(
    flows: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="FLOW",
            help=f"{FLOW_HELP} Default: every flow in [tool.orchestrator] flows.",
            show_default=False,
        ),
    ] = None,
    runs: Annotated[
        int,
        typer.Option(
            "--runs", "-n", min=1, help="How many of each flow's latest successful runs to read."
        ),
    ] = DEFAULT_RUNS,
    aws: AwsFlag = False,
    stage: StageOption = None,
    profile: ProfileOption = None,
    region: RegionOption = None,
) -> None:
    """Record each task's typical duration in durations.json, at the project root.

    A task's typical duration is the median of its durations (entry to exit of its state,
    retries included) in the flow's latest --runs successful runs: the local run store's, or
    (--aws) the stage's Step Functions executions. The median, because one slow run (a cold
    start, a retry) should not move it. Failed runs are not read: they stop early or time out.

    The planner weighs a task by its estimate=, else by its recorded duration, else 1 s, when
    the flow is not series-parallel and it must add synchronisation; `orchestrator build`,
    `orchestrator plan` and local runs all read durations.json, never the run store. Commit it,
    then run `orchestrator build`. Recording a flow replaces its entry; other flows' stay.
    """
    target = AwsTarget(aws, stage, profile, region)
    on_aws = target.check("durations record")
    chosen = (
        [load_graph(spec)[0] for spec in flows]
        if flows
        else load_project_flows(Path("pyproject.toml"))
    )
    by_root: dict[Path, list[Flow]] = {}
    for each in chosen:
        project = each.project()
        if project is None:
            raise FlowDefinitionError(
                f"the flow belongs to no project, so there is no {DURATIONS_FILE} to write",
                flow=each.name,
                fix="run it from a project: a folder whose pyproject.toml has [tool.orchestrator]",
            )
        by_root.setdefault(project.root, []).append(each)
    for root, members in by_root.items():
        _record_project(root, members, runs, target if on_aws else None)


def _record_project(root: Path, flows: list[Flow], runs: int, target: AwsTarget | None) -> None:
    try:
        existing = read_durations(root)
        entries = dict(existing.flows) if existing is not None else {}
    except PathError as err:  # the fix that error suggests is this very command
        note(f"{err.path} {err.problem}: it is written anew, without the flows it held")
        entries = {}
    today = datetime.now(UTC).date().isoformat()
    recorded = 0
    for each in flows:
        samples, where, source = _samples(root, each, runs, target)
        graph = each.graph
        if not samples.tasks:
            kept = "its entry is left as it was" if graph.name in entries else "nothing recorded"
            typer.echo(f"{graph.name}: no successful run in {where}: {kept}")
            continue
        tasks = {task: typical(seconds) for task, seconds in samples.tasks.items()}
        entries[graph.name] = FlowDurations(today, source, samples.runs, tasks)
        recorded += 1
        missing = [n.id for n in graph.nodes if n.id not in tasks]
        line = (
            f"{graph.name}: {len(tasks)} of {len(graph.nodes)} tasks recorded, each the median "
            f"of its durations in the flow's latest {samples.runs} successful "
            f"{'run' if samples.runs == 1 else 'runs'} in {where}"
        )
        if missing:
            line += f"; not recorded (no successful run of theirs in those): {', '.join(missing)}"
        typer.echo(line)
    if not recorded:
        return
    path = write_durations(root, entries)
    typer.echo(f"wrote {display_path(path)}: commit it, then run `orchestrator build`")


def _samples(
    root: Path, flow: Flow, runs: int, target: AwsTarget | None
) -> tuple[Samples, str, str]:
    """The flow's samples, where they were read (for the report) and the file's `from`."""
    if target is not None:
        from orchestrator.aws.durations import aws_samples

        deployment = target.connect(root)
        return (
            aws_samples(deployment, flow.graph, runs),
            deployment.where,
            f"stage {deployment.stage}",
        )
    from orchestrator.local import default_store
    from orchestrator.local.durations import local_samples

    store = default_store(readonly=True)
    try:
        return local_samples(store, flow.graph, runs), str(store.path), "local runs"
    finally:
        store.close()


def register(app: typer.Typer) -> None:
    app.add_typer(durations_app, name="durations")
