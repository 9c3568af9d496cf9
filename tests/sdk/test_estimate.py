"""`@task(estimate=...)`: the task's expected duration, validated where it is declared."""

from __future__ import annotations

from datetime import timedelta

import pytest

from orchestrator import task
from orchestrator.errors import FlowDefinitionError


@pytest.mark.parametrize(
    ("value", "seconds"),
    [(30, 30.0), (0.5, 0.5), (timedelta(minutes=2), 120.0), (timedelta(milliseconds=250), 0.25)],
)
def test_estimate_is_seconds(value: object, seconds: float) -> None:
    @task(estimate=value)  # type: ignore[arg-type]
    def work() -> int:
        return 1

    assert work.options.estimate == seconds


def test_no_estimate_is_none() -> None:
    @task
    def work() -> int:
        return 1

    assert work.options.estimate is None


@pytest.mark.parametrize(
    "value", [0, -3, float("nan"), float("inf"), True, "30", timedelta(0), [1]]
)
def test_a_bad_estimate_names_the_task_and_the_fix(value: object) -> None:
    with pytest.raises(FlowDefinitionError) as caught:

        @task(estimate=value)  # type: ignore[arg-type]
        def slow_step() -> int:
            return 1

    message = str(caught.value)
    assert message.startswith(f"task 'slow_step': estimate={value!r} is not a positive duration")
    assert "Fix: give the task's expected duration in seconds" in message


def test_the_estimate_reaches_the_graph() -> None:
    from orchestrator import Flow

    @task(estimate=12)
    def a() -> int:
        return 1

    with Flow("estimates") as flow:
        a()
    (node,) = flow.graph.nodes
    assert node.options.estimate == 12.0
    again = type(flow.graph).model_validate(flow.graph.model_dump())
    assert again.nodes[0].options.estimate == 12.0
