"""What a flow costs on AWS: per run, counted from its compiled state machine, and per month.

Step Functions bills a Standard execution per state transition — "each time a step of your
workflow is executed" — so a run's transitions are the states it enters: every state on its path,
a Parallel state and each of its branches' states, a Map state and its item processor's states
once per item. A run that fails or retries costs more (each retry is one more transition and one
more Lambda invocation); the estimate counts a successful run without retries, and where Choice
states make the path depend on data, the longest successful path. Express executions are billed
per request and for their duration at the memory they use (`pricing.py`); the duration is the
run's critical path, each task taking `task_seconds`. Every Lambda task state is one invocation
of the task's function, billed for its memory × its duration.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from orchestrator.contract import DEFAULT_OFFLOAD_BYTES
from orchestrator.deploy.pricing import Prices
from orchestrator.engine.spec import LAMBDA_INVOKE

#: A task's duration when nothing better is known.
DEFAULT_TASK_SECONDS = 1.0


@dataclass(frozen=True)
class RunUsage:
    """What one successful execution uses."""

    transitions: int = 0
    invocations: int = 0
    gb_seconds: float = 0.0
    seconds: float = 0.0  # wall time: the critical path
    #: Parallel states entered and Map iterations run: what multiplies an Express execution's
    #: data in its memory.
    parallel_steps: int = 0

    def then(self, other: RunUsage) -> RunUsage:
        """This, followed by `other`."""
        return RunUsage(
            self.transitions + other.transitions,
            self.invocations + other.invocations,
            self.gb_seconds + other.gb_seconds,
            self.seconds + other.seconds,
            self.parallel_steps + other.parallel_steps,
        )


@dataclass(frozen=True)
class Usage:
    """How a run is counted: each task's memory (MB), each map's items, a task's duration."""

    memory_mb: Mapping[str, int]
    items: Mapping[str, int]
    task_seconds: float = DEFAULT_TASK_SECONDS


def run_usage(definition: dict[str, Any], usage: Usage) -> RunUsage:
    """What one successful run of the state machine `definition` uses."""
    return _Counter(usage).states(definition)


class _Counter:
    def __init__(self, usage: Usage) -> None:
        self.usage = usage

    def states(self, machine: dict[str, Any]) -> RunUsage:
        """From StartAt to the end of a States map (a machine, a branch, an item processor)."""
        memo: dict[str, RunUsage | None] = {}
        found = self.path_from(machine["StartAt"], machine["States"], memo)
        if found is None:
            raise ValueError("the state machine has no successful path")
        return found

    def path_from(
        self, name: str, states: dict[str, Any], memo: dict[str, RunUsage | None]
    ) -> RunUsage | None:
        """The longest successful path from `name` (None: every path from it fails)."""
        run: list[RunUsage] = []  # the states of a straight run up to a branch or an end
        tail: RunUsage | None = RunUsage()
        current: str | None = name
        while current is not None:
            if current in memo:
                tail = memo[current]
                break
            state = states[current]
            kind = state["Type"]
            if kind == "Fail":
                tail = None
                break
            run.append(self.own(state))
            if kind == "Choice":
                targets = [rule["Next"] for rule in state.get("Choices", [])]
                if "Default" in state:
                    targets.append(state["Default"])
                paths = [self.path_from(t, states, memo) for t in targets]
                succeeding = [p for p in paths if p is not None]
                tail = max(succeeding, key=lambda p: p.transitions, default=None)
                break
            current = None if kind == "Succeed" or state.get("End") else state["Next"]
        if tail is None:
            if name not in memo:
                memo[name] = None
            return None
        total = tail
        for step in reversed(run):
            total = step.then(total)
        memo[name] = total
        return total

    def own(self, state: dict[str, Any]) -> RunUsage:
        """What entering this one state uses, with its branches or items."""
        kind = state["Type"]
        if kind == "Task":
            if state.get("Resource") != LAMBDA_INVOKE:
                return RunUsage(transitions=1)
            task = state["Parameters"]["Payload"]["task"]
            seconds = self.usage.task_seconds
            memory = self.usage.memory_mb[task]
            return RunUsage(1, 1, memory / 1024 * seconds, seconds)
        if kind == "Parallel":
            branches = [self.states(b) for b in state["Branches"]]
            return RunUsage(
                1 + sum(b.transitions for b in branches),
                sum(b.invocations for b in branches),
                sum(b.gb_seconds for b in branches),
                max((b.seconds for b in branches), default=0.0),
                1 + sum(b.parallel_steps for b in branches),
            )
        if kind == "Map":
            item = self.states(state["ItemProcessor"])
            count = self.items_of(state)
            concurrency = state.get("MaxConcurrency") or count
            waves = math.ceil(count / concurrency) if count else 0
            return RunUsage(
                1 + count * item.transitions,
                count * item.invocations,
                count * item.gb_seconds,
                waves * item.seconds,
                count * (1 + item.parallel_steps),
            )
        if kind == "Wait":
            return RunUsage(1, seconds=float(state.get("Seconds", 0)))
        return RunUsage(transitions=1)  # Pass, Choice, Succeed

    def items_of(self, state: dict[str, Any]) -> int:
        processor = state["ItemProcessor"]
        item = processor["States"][processor["StartAt"]]
        return self.usage.items[item["Parameters"]["Payload"]["task"]]


@dataclass(frozen=True)
class Costs:
    """Dollars, per run and per month, of one way to run the flow."""

    workflow_run: float
    lambda_run: float
    workflow_month: float
    lambda_month: float

    @property
    def run(self) -> float:
        return self.workflow_run + self.lambda_run

    @property
    def month(self) -> float:
        return self.workflow_month + self.lambda_month


@dataclass(frozen=True)
class Estimate:
    usage: RunUsage
    runs_per_month: float
    standard: Costs
    express: Costs
    #: Express: the memory an execution uses (MB) and is billed for (64 MB chunks), its billed
    #: duration (s) and the GB-seconds that makes.
    express_memory_mb: float
    express_billed_mb: int
    express_billed_seconds: float
    express_gb_seconds: float


def estimate(
    usage: RunUsage,
    *,
    definition_bytes: int,
    data_bytes: int,
    runs_per_month: float,
    architecture: str,
    prices: Prices,
) -> Estimate:
    """The costs of `usage` per run and over `runs_per_month` runs, Standard and Express.

    `data_bytes` is the execution data an Express execution holds per Parallel or Map step (the
    pricing page's formula); free tiers are not deducted (they are per account, not per flow).
    """
    lambda_run = (
        usage.invocations * prices.lambda_request
        + usage.gb_seconds * prices.lambda_gb_second(architecture)
    )
    lambda_month = lambda_run * runs_per_month
    standard_run = usage.transitions * prices.standard_transition
    standard = Costs(standard_run, lambda_run, standard_run * runs_per_month, lambda_month)
    memory_mb = (
        prices.express_base_mb + definition_bytes / 1e6 + data_bytes / 1e6 * usage.parallel_steps
    )
    chunk = prices.express_memory_chunk_mb
    billed_mb = math.ceil(memory_mb / chunk) * chunk
    step = prices.express_duration_step_seconds
    billed_seconds = max(1, math.ceil(round(usage.seconds / step, 9))) * step
    gb_seconds = billed_seconds * billed_mb / 1024
    express = Costs(
        prices.express_request + prices.express_duration_cost(gb_seconds),
        lambda_run,
        prices.express_request * runs_per_month
        + prices.express_duration_cost(gb_seconds * runs_per_month),
        lambda_month,
    )
    return Estimate(
        usage=usage,
        runs_per_month=runs_per_month,
        standard=standard,
        express=express,
        express_memory_mb=memory_mb,
        express_billed_mb=billed_mb,
        express_billed_seconds=billed_seconds,
        express_gb_seconds=gb_seconds,
    )


def express_data_bytes(consts_bytes: int) -> int:
    """The execution data an Express execution is assumed to hold per Parallel or Map step: the
    bound on the largest state document the planner computes (results up to the offload
    threshold, plus the machine's constants) — an upper estimate; parameters are not known."""
    return DEFAULT_OFFLOAD_BYTES + consts_bytes
