"""Conditions inside a flow: `case`, `merge` and reference tasks — Prefect 1.x's
`prefect.tasks.control_flow` (`case`, `merge`) and `Flow.set_reference_tasks`.

    with Flow("deploy") as flow:
        ok = run_checks()
        with case(ok, True):
            released = release()
        with case(ok, False):
            alerted = alert()
        merge(released, alerted)

A task called inside `with case(ref, value):` runs only when `ref`'s result equals `value` (a
JSON scalar) and otherwise ends SKIPPED, so its downstream tasks are skipped too; the planner
compiles the test to a Choice state. `merge(a, b, ...)` returns the first of its arguments that
was not skipped, like Prefect's `Merge` task (trigger `not_all_skipped`, `skip_on_upstream_skip`
off): it is a small built-in task of its own, a Lambda like any other.
"""

from __future__ import annotations

from typing import Any

from orchestrator.errors import FlowDefinitionError
from orchestrator.sdk.task import task
from orchestrator.sdk.tracing import ParamRef, TaskRef, require_builder
from orchestrator.sdk.triggers import not_all_skipped

__all__ = ["case", "merge", "set_reference_tasks"]

_SCALARS = (str, bool, int, float, type(None))


class case:  # noqa: N801 - Prefect's spelling
    """Run the tasks called inside the block only when `task`'s result equals `value`."""

    def __init__(self, task: Any, value: Any) -> None:
        if not isinstance(task, TaskRef | ParamRef):
            raise FlowDefinitionError(
                f"case({task!r}, ...) must test a task's result or a parameter",
                fix="write `with case(some_task_result, value):`",
            )
        if not isinstance(value, _SCALARS) or (isinstance(value, float) and value != value):
            raise FlowDefinitionError(
                f"case(..., {value!r}) compares with a {type(value).__name__}",
                task=task._task(),
                fix="compare with a string, number, bool or None (a Choice rule's operand); "
                "compute other comparisons in a task that returns a bool",
            )
        self.task = task
        self.value = value

    def __enter__(self) -> case:
        require_builder("case").cases.append((self.task, self.value))
        return self

    def __exit__(self, *exc: object) -> None:
        require_builder("case").cases.pop()


@task(name="merge", trigger=not_all_skipped, skip_on_upstream_skip=False)
def merge_values(*values: Any) -> Any:
    """The first value that is not None: a skipped branch's result arrives as None."""
    return next((v for v in values if v is not None), None)


def merge(*results: Any) -> Any:
    """The first of `results` whose task was not skipped (the branch a `case` took)."""
    if not results:
        raise FlowDefinitionError("merge() was given nothing", fix="merge(a_result, b_result)")
    require_builder("merge")
    return merge_values(*results)


def set_reference_tasks(tasks: Any) -> None:
    """Inside a flow body: the tasks whose states decide the run's (default: terminal tasks)."""
    require_builder("set_reference_tasks").set_reference(tasks)
