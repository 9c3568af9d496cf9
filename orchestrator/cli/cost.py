"""`orchestrator cost FLOW`: what a run of the flow costs on AWS, and a month of its schedule."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer

from orchestrator.cli.flows import FlowSpec, load_graph
from orchestrator.deploy.cost import (
    DEFAULT_TASK_SECONDS,
    Estimate,
    Usage,
    estimate,
    express_data_bytes,
    run_usage,
)
from orchestrator.deploy.pricing import PRICES_ENV, load_prices
from orchestrator.deploy.schedule_runs import HOURS_PER_MONTH, runs_per_month
from orchestrator.errors import ScheduleError
from orchestrator.graph import FlowGraph
from orchestrator.planner.asl import walk_states
from orchestrator.settings import ProjectSettings, project_of

ItemsOption = Annotated[
    int | None,
    typer.Option(
        "--items",
        min=0,
        help="Items of every .map (default: the task's expected_items=, else 1).",
        show_default=False,
    ),
]
ScheduleOption = Annotated[
    str | None,
    typer.Option(
        "--schedule",
        help='Price this schedule instead of the flow\'s, e.g. "rate(5 minutes)".',
        show_default=False,
    ),
]
RunsOption = Annotated[
    float | None,
    typer.Option(
        "--runs-per-month",
        min=0,
        help="Runs a month (instead of the schedule's).",
        show_default=False,
    ),
]
SecondsOption = Annotated[
    float,
    typer.Option("--task-seconds", min=0.001, help="How long each task (or map item) runs."),
]
PricesOption = Annotated[
    Path | None,
    typer.Option(
        "--prices",
        help=f"JSON file overriding the built-in price table (also ${PRICES_ENV}).",
        dir_okay=False,
        show_default=False,
    ),
]


def cost(
    flow: FlowSpec,
    items: ItemsOption = None,
    schedule: ScheduleOption = None,
    runs: RunsOption = None,
    task_seconds: SecondsOption = DEFAULT_TASK_SECONDS,
    prices_file: PricesOption = None,
) -> None:
    """Estimate FLOW's AWS cost per run and per month: Standard vs Express workflows."""
    prices = load_prices(prices_file)
    compiled, graph = load_graph(flow)
    plan = compiled.plan()
    item_counts, item_note = _items(graph, items)
    usage = run_usage(
        plan.asl,
        Usage(
            memory_mb={n.id: n.memory for n in graph.nodes},
            items=item_counts,
            task_seconds=task_seconds,
        ),
    )
    monthly, when = _runs(graph, schedule, runs)
    project = project_of(graph.source)
    architecture = (project or ProjectSettings(root=Path.cwd())).architecture
    result = estimate(
        usage,
        definition_bytes=len(plan.text.encode()),
        data_bytes=express_data_bytes(plan.consts_bytes),
        runs_per_month=monthly or 0.0,
        architecture=architecture,
        prices=prices,
    )
    lines = [
        f"{graph.name}: estimated AWS cost — an estimate, not a quote",
        f"  runs: {when}",
        f"  a successful run without retries (each retry adds a transition and an invocation); "
        f"each task {task_seconds:g} s (pass --task-seconds S); {architecture} Lambdas",
    ]
    if item_note:
        lines.append(f"  maps: {item_note}")
    if any(state["Type"] == "Choice" for state in walk_states(plan.asl)):
        lines.append("  the path depends on data (Choice states): the longest successful one")
    lines += _table(result, monthly is not None)
    lines.append(
        f"  prices: {prices.describe()}; before free tiers. Express memory "
        f"{result.express_memory_mb:.2f} MB → billed {result.express_billed_mb} MB, "
        f"{result.express_billed_seconds:.1f} s a run"
    )
    typer.echo("\n".join(lines))


def _items(graph: FlowGraph, items: int | None) -> tuple[dict[str, int], str]:
    counts: dict[str, int] = {}
    notes: list[str] = []
    for node in graph.nodes:
        if not node.is_map:
            continue
        if items is not None:
            counts[node.id] = items
        elif node.options.expected_items is not None:
            counts[node.id] = node.options.expected_items
            notes.append(f"{node.task_name} {counts[node.id]} items (expected_items=)")
        else:
            counts[node.id] = 1
            notes.append(f"{node.task_name} 1 item (pass --items N)")
    if items is not None and counts:
        return counts, f"{items} items each (--items)"
    return counts, ", ".join(notes)


def _runs(graph: FlowGraph, schedule: str | None, runs: float | None) -> tuple[float | None, str]:
    month = f"a {HOURS_PER_MONTH}-hour month"
    if runs is not None:
        return runs, f"{runs:,g} a month (--runs-per-month)"
    expression = schedule or (graph.schedule.expression if graph.schedule else None)
    if expression is None:
        return None, "no schedule: per month needs --runs-per-month N or --schedule EXPR"
    try:
        count = runs_per_month(expression)
    except ScheduleError as err:
        raise err.in_flow(graph.name) from None
    if count is None:
        return 1.0, f"{expression} starts one run, once"
    return count, f"{expression} → {count:,.6g} runs in {month}"


def _table(result: Estimate, monthly: bool) -> list[str]:
    usage = result.usage

    def row(label: str, run: str, month: str) -> str:
        return f"  {label:<26}{run:>14}" + (f"{month:>16}" if monthly else "")

    n = result.runs_per_month
    out = [row("", "per run", "per month")]
    out.append(row("state transitions", f"{usage.transitions:,}", f"{usage.transitions * n:,.0f}"))
    out.append(row("Lambda invocations", f"{usage.invocations:,}", f"{usage.invocations * n:,.0f}"))
    out.append(row("Lambda GB-seconds", f"{usage.gb_seconds:,.4g}", f"{usage.gb_seconds * n:,.6g}"))
    out.append(
        row(
            "Express GB-seconds",
            f"{result.express_gb_seconds:,.4g}",
            f"{result.express_gb_seconds * n:,.6g}",
        )
    )
    for label, costs in (("Standard", result.standard), ("Express", result.express)):
        out.append(
            row(f"{label} workflow", _dollars(costs.workflow_run), _dollars(costs.workflow_month))
        )
        out.append(row(f"{label} + Lambda total", _dollars(costs.run), _dollars(costs.month)))
    return out


def _dollars(amount: float) -> str:
    """Whole cents from $100 up, else four significant digits (never an exponent)."""
    if amount >= 100 or amount <= 0:
        return f"${amount:,.2f}"
    return f"${amount:.{max(2, 3 - math.floor(math.log10(amount)))}f}"


def register(app: typer.Typer) -> None:
    app.command("cost")(cost)
