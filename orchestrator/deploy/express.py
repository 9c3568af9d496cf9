"""Refuse EXPRESS flows that Express workflows cannot run.

An Express execution is stopped after 5 minutes, whatever its states are doing. A flow whose
worst case — every task timing out on every attempt, with every retry delay, along the longest
chain of dependent tasks — exceeds that would be cut off mid-run with no history to tell why, so
it is refused at build time, naming the chain.
"""

from __future__ import annotations

from functools import cache

from orchestrator.deploy.project import FlowBuild
from orchestrator.engine.spec import EXPRESS_MAX_SECONDS, backoff_seconds
from orchestrator.errors import FlowDefinitionError
from orchestrator.graph import TaskNode


def retry_delays(node: TaskNode) -> int:
    """The sum of the waits between the attempts of the task's own retrier (before jitter)."""
    options = node.options
    delay = options.retry_delay
    return int(
        sum(
            backoff_seconds(delay.interval, delay.backoff_rate, delay.max_delay, n)
            for n in range(options.retries)
        )
    )


def worst_case_seconds(node: TaskNode) -> int:
    """Every attempt running into the timeout, plus every retry delay.

    A Map counts as one iteration: its items run side by side and their number is only known at
    run time, so this is a lower bound there.
    """
    return (1 + node.options.retries) * node.timeout + retry_delays(node)


def check_express(build: FlowBuild) -> None:
    graph = build.graph
    if graph.type != "EXPRESS":
        return
    fix = 'use type="STANDARD" (up to a year per run), or lower the timeouts/retries'
    if build.plan.children:
        # "Express Workflows do not support Run a Job (.sync) or Wait for Callback
        # (.waitForTaskToken)" (developer guide, "Integrating optimized services").
        raise FlowDefinitionError(
            f"its state machine is over Step Functions' definition size limit, so it is split "
            f"into {len(build.plan.children)} child machines started with "
            f"startExecution.sync:2, which an EXPRESS workflow cannot run (Express workflows "
            "support no .sync integration)",
            flow=graph.name,
            fix='use type="STANDARD", or split the flow into smaller flows',
        )
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
        return best[0] + worst_case_seconds(node), (*best[1], node_id)

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
