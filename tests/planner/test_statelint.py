"""statelint finds no problem in any ASL the planner emits: shipped flows and random flows."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from orchestrator.deploy.validate import statelint_problems
from orchestrator.loader import load_project_flows
from orchestrator.planner import SynchronisationAdded
from tests.flowgen import GeneratedFlow, random_flows

ROOT = Path(__file__).resolve().parents[2]


def lint(asl: dict) -> list[str]:
    return statelint_problems(json.loads(json.dumps(asl)))


@pytest.mark.parametrize("flow", load_project_flows(ROOT / "pyproject.toml"), ids=lambda f: f.name)
def test_shipped_flows_pass_statelint(flow) -> None:  # type: ignore[no-untyped-def]
    assert lint(flow.asl()) == []


@settings(max_examples=220, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_flows())
def test_random_flows_pass_statelint(gen: GeneratedFlow) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SynchronisationAdded)
        asl = gen.flow.asl()
    assert lint(asl) == []
    text = json.dumps(asl)
    # Every Retry's BackoffRate is a float, as statelint and Step Functions want.
    assert '"BackoffRate": 1,' not in text and '"BackoffRate": 2,' not in text
