"""Refuse EXPRESS flows that Express workflows cannot run.

An Express execution is stopped after 5 minutes, whatever its states are doing. A flow whose
worst case — every task timing out on every attempt, with every retry delay, along the longest
chain of dependent tasks — exceeds that would be cut off mid-run with no history to tell why, so
it is refused at build time, naming the chain.
"""

from __future__ import annotations

from functools import cache

from orchestrator.deploy.config import DeployConfig
from orchestrator.deploy.lambdas import lambda_timeout
from orchestrator.deploy.project import FlowBuild
from orchestrator.errors import FlowDefinitionError
from orchestrator.graph import RetrySpec, TaskNode

EXPRESS_MAX_SECONDS = 300


def retry_delays(retry: RetrySpec | None) -> int:
    """The sum of the waits between attempts of one retrier, capped as Step Functions caps."""
    if retry is None:
        return 0
    total, delay = 0.0, float(retry.interval_seconds)
    for _ in range(retry.max_attempts):
        capped = delay if retry.max_delay_seconds is None else min(delay, retry.max_delay_seconds)
        total += capped
        delay *= retry.backoff_rate
    return int(total)


def worst_case_seconds(node: TaskNode, config: DeployConfig) -> int:
    """Every attempt running into the timeout, plus every retry delay.

    A Map counts as one iteration: its items run side by side and their number is only known at
    run time, so this is a lower bound there.
    """
    attempts = 1 + (node.retry.max_attempts if node.retry else 0)
    return attempts * lambda_timeout(node.timeout_seconds, config) + retry_delays(node.retry)


def check_express(build: FlowBuild, config: DeployConfig) -> None:
    graph = build.graph
    if graph.type != "EXPRESS":
        return
    fix = 'use type="STANDARD" (up to a year per run), or lower the timeouts/retries'
    if graph.timeout_seconds and graph.timeout_seconds > EXPRESS_MAX_SECONDS:
        raise FlowDefinitionError(
            f"timeout={graph.timeout_seconds}s is longer than the {EXPRESS_MAX_SECONDS}s an "
            "EXPRESS execution may run",
            flow=graph.name,
            fix=fix,
        )
    nodes = {n.id: n for n in graph.nodes}

    @cache
    def longest(node_id: str) -> tuple[int, tuple[str, ...]]:
        node = nodes[node_id]
        best: tuple[int, tuple[str, ...]] = (0, ())
        for dep in node.dependencies():
            best = max(best, longest(dep))
        return best[0] + worst_case_seconds(node, config), (*best[1], node_id)

    seconds, chain = max(longest(n) for n in nodes)
    if seconds > EXPRESS_MAX_SECONDS:
        raise FlowDefinitionError(
            f"it is EXPRESS, which stops every run after {EXPRESS_MAX_SECONDS}s, but the worst "
            f"case of {' → '.join(chain)} (each attempt up to its timeout, plus retry delays) "
            f"is {seconds}s",
            flow=graph.name,
            task=nodes[chain[-1]].task_name,
            fix=fix,
        )
