"""The first task's handler: defaults merged under the execution input (runtime/start.py)."""

from __future__ import annotations

import pytest

from orchestrator.contract import PARAMETER_READ_ERROR
from orchestrator.runtime.handler import execute_task
from orchestrator.runtime.start import ParameterReadError


def echo(a: object, b: object = None) -> dict[str, object]:
    return {"a": a, "b": b}


def event(params: object, inputs: dict[str, object]) -> dict[str, object]:
    defaults = {"n": 5, "cfg": {"k": [1, 2]}}
    return {"task": "echo", "inputs": inputs, "start": {"params": params, "defaults": defaults}}


def test_the_input_wins_over_defaults_at_the_top_level() -> None:
    # As States.JsonMerge(defaults, input, false): top-level keys, no deep merge.
    out = execute_task(
        echo,
        event({"cfg": {"other": 1}}, {"a": {"__orchestrator_param__": ["n"]}, "b": 3}),
    )
    assert out == {"params": {"n": 5, "cfg": {"other": 1}}, "value": {"a": 5, "b": 3}}


def test_a_marker_reads_a_part_of_a_parameter_at_any_depth() -> None:
    inputs = {"a": {"first": {"__orchestrator_param__": ["cfg", "k", 1]}}}
    out = execute_task(echo, event({}, inputs))
    assert out["value"] == {"a": {"first": 2}, "b": None}


def test_a_missing_part_names_the_parameter() -> None:
    with pytest.raises(ParameterReadError, match=r"cfg\['absent'\]"):
        execute_task(echo, event({}, {"a": {"__orchestrator_param__": ["cfg", "absent"]}}))


def test_an_input_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(ParameterReadError, match="JSON object"):
        execute_task(echo, event([1, 2], {"a": 1}))


def test_the_error_a_first_tasks_catch_lets_end_the_run_is_this_exceptions_name() -> None:
    # The handler reports an exception by its class name (runtime/error_payload.py).
    assert ParameterReadError.__name__ == PARAMETER_READ_ERROR
