"""`flow.run(**params)` checks values against the flow function's annotations, as `--param`
does: a wrong value is a ParameterError before anything runs, not a task failing mid-run."""

from __future__ import annotations

import pytest

from orchestrator import flow, task
from orchestrator.errors import ParameterError


@task
def double(n: int) -> int:
    return 2 * n


@flow
def doubling(n: int = 1):
    return double(n)


def test_a_value_the_annotation_refuses_is_a_parameter_error(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORCHESTRATOR_STORE", str(tmp_path) + "/runs.sqlite")
    with pytest.raises(ParameterError, match=r"flow 'doubling': n=\"abc\" does not fit `n: int`"):
        doubling.run(clock="virtual", n="abc")
    assert doubling.run(clock="virtual", n="3").result == 6  # "3" is an int to pydantic
    assert doubling.run(clock="virtual", n=4).result == 8
