"""`--param` values: JSON when they parse, checked against the flow function's annotations."""

from __future__ import annotations

from typing import Any

import pytest

from orchestrator import Flow, Parameter, flow, task
from orchestrator.cli.params import parse_params, raw_values, typed_params
from orchestrator.errors import ParameterError


class Plain:
    """A class pydantic cannot build a schema for: not checked, the task decides."""


@task
def echo(value: Any) -> Any:
    return value


@flow
def annotated(n: int, name: str = "", when: Plain | None = None, anything=None):  # noqa: ANN001
    return echo(n)


with Flow("legacy") as legacy:
    echo(Parameter("n", default=1))


def _typed(f: Flow, *pairs: str) -> dict[str, Any]:
    return typed_params(f, parse_params(list(pairs)), raw_values(list(pairs)))


def test_values_are_json_when_they_parse() -> None:
    assert parse_params(["n=3", "b=true", "xs=[1, 2]", "s=abc", "z=007"]) == {
        "n": 3,
        "b": True,
        "xs": [1, 2],
        "s": "abc",
        "z": "007",
    }


def test_a_str_parameter_keeps_the_text_that_looked_like_a_number() -> None:
    assert _typed(annotated, "n=3", "name=123") == {"n": 3, "name": "123"}


def test_an_int_parameter_accepts_its_text_as_a_number() -> None:
    assert _typed(annotated, 'n="4"') == {"n": 4}


def test_unannotated_and_uncheckable_parameters_take_any_json() -> None:
    assert _typed(annotated, "n=1", "anything=[1]") == {"n": 1, "anything": [1]}
    assert _typed(legacy, "n=abc") == {"n": "abc"}


def test_a_wrong_value_names_the_parameter_and_its_type() -> None:
    with pytest.raises(
        ParameterError, match=r"flow 'annotated': --param n=x does not fit `n: int`"
    ):
        _typed(annotated, "n=x")
