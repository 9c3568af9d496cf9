"""Load a project's shipped flows and compile each one: the input of every deploy artifact.

One `FlowBuild` per flow of `[tool.orchestrator] flows`, in that order, carrying the graph, the
planner's `Plan` and the exact ASL text `orchestrator plan` prints — the bytes written to
`infra/statemachines/` and deployed.
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from orchestrator.contract import statemachine_path, substitution
from orchestrator.durations import weights_of
from orchestrator.errors import FlowDefinitionError, ScheduleError
from orchestrator.graph import FlowGraph
from orchestrator.loader import load_project_flows
from orchestrator.planner import Plan, plan_flow
from orchestrator.sdk.schedules import validate_expression, validate_timezone
from orchestrator.settings import ProjectSettings


@dataclass(frozen=True)
class FlowBuild:
    """One shipped flow, compiled."""

    spec: str
    graph: FlowGraph
    plan: Plan
    # sha256 of the ASL and of the source of every module the flow's tasks live in: it changes
    # exactly when what the deploy runs changes, and (unlike a git commit) is reproducible.
    code_hash: str
    #: A child machine of a flow too large for one definition ("part1", …; planner/split.py),
    #: or "" for the flow's own machine.
    part: str = ""

    @property
    def asl_path(self) -> Path:
        """Where the ASL goes, relative to the project root (`<flow>.<part>.asl.json` for a
        child machine)."""
        name = self.graph.resource_name
        return statemachine_path(f"{name}.{self.part}" if self.part else name)

    @property
    def children(self) -> list[FlowBuild]:
        """The child machines of a split flow, each a build of its own (none otherwise)."""
        out = []
        for child in self.plan.children:
            text = json.dumps(child.asl)
            used = {k: v for k, v in self.plan.placeholders.items() if substitution(k) in text}
            plan = Plan(asl=child.asl, placeholders=used, compact=child.compact)
            out.append(FlowBuild(self.spec, self.graph, plan, self.code_hash, part=child.part))
        return out

    @property
    def asl_text(self) -> str:
        """The exact bytes `orchestrator plan` prints, committed and deployed."""
        return self.plan.text


def load_builds(config: ProjectSettings) -> list[FlowBuild]:
    """Import, trace and compile every flow the project ships; refuse what cannot deploy."""
    builds = []
    graphs = [flow.graph for flow in load_project_flows(config.pyproject)]
    for spec, graph in zip(config.flows, graphs, strict=True):
        check_importable(graph)
        check_schedule(graph)
        # The committed durations.json, as `flow.run()` reads it: never the run store.
        plan = plan_flow(graph, weights_of(graph, config.root).durations)
        if plan.oversize is not None:  # over the definition quota, and cannot be split
            raise plan.oversize
        builds.append(FlowBuild(spec, graph, plan, _code_hash(graph, plan.text)))
    _check_unique_names(builds)
    return builds


def check_importable(graph: FlowGraph) -> None:
    """Refuse a task the Lambda runtime could not import by its key (`module:qualname`).

    A task defined inside a function (`<locals>`) or as a lambda has no importable name, and a
    module run as a script is `__main__` only in that process: each runs locally (the local engine
    holds the function itself) but would fail on every Lambda invocation.
    """
    for node in graph.nodes:
        module, _, qualname = node.task_key.partition(":")
        if module == "__main__":
            problem = "its module is __main__ (a script run directly), which Lambda cannot import"
        elif "<locals>" in qualname or "<lambda>" in qualname:
            kind = "a lambda" if "<lambda>" in qualname else "defined inside a function"
            problem = f"it is {kind} ({node.task_key}), which Lambda cannot import by name"
        else:
            continue
        raise FlowDefinitionError(
            problem,
            flow=graph.name,
            task=node.task_name,
            fix="define the task with @task at module level of an importable module",
        )


def check_schedule(graph: FlowGraph) -> None:
    """Refuse a schedule EventBridge Scheduler would reject, or one that cannot start the flow.

    The SDK validates schedules when a flow is defined; this repeats it for graphs built any
    other way, and adds what only the deploy knows: a scheduled run has no caller to supply
    required parameters.
    """
    if graph.schedule is None:
        return
    try:
        validate_expression(graph.schedule.expression)
        if graph.schedule.timezone is not None:
            validate_timezone(graph.schedule.timezone)
    except ScheduleError as err:
        # Same class (callers catch ScheduleError), now naming the flow.
        raise ScheduleError(err.problem, flow=graph.name, fix=err.fix) from None
    required = [p.name for p in graph.parameters if p.required]
    if required:
        raise FlowDefinitionError(
            f"the flow has a schedule but its parameters {required} have no default, so a "
            "scheduled run could not start",
            flow=graph.name,
            fix="give those parameters defaults, or remove the schedule",
        )


def _check_unique_names(builds: list[FlowBuild]) -> None:
    seen: dict[str, str] = {}
    for build in builds:
        name = build.graph.resource_name
        if name in seen:
            raise FlowDefinitionError(
                f"flows {seen[name]!r} and {build.graph.name!r} share the resource name {name!r}",
                flow=build.graph.name,
                fix="give one of them another name or resource_name=",
            )
        seen[name] = build.graph.name


def _code_hash(graph: FlowGraph, asl: str) -> str:
    digest = hashlib.sha256(asl.encode())
    modules = sorted({n.task_key.partition(":")[0] for n in graph.nodes})
    for name in modules:
        module = sys.modules.get(name)
        file = getattr(module, "__file__", None)
        digest.update(name.encode() + b"\0")
        if file is not None and Path(file).is_file():
            # Content only, never the path: the hash must not depend on the checkout location.
            digest.update(Path(file).read_bytes().replace(b"\r\n", b"\n"))
    return digest.hexdigest()
