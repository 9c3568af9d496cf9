"""What the planner emits runs the same on the local engine and in moto's Step Functions.

Every shipped flow, and random flows (random DAG shapes, maps, options), run through both
executors with the same task code; status, the whole output document and the attempts per state
must agree, and the output must match a plain-Python oracle.
"""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from orchestrator.graph import value_of
from orchestrator.loader import load_project_flows
from orchestrator.local import run_flow
from orchestrator.runtime.results import resolve_refs
from orchestrator.sdk.flow import Flow
from orchestrator.testing.flows import run_flow_in_moto
from orchestrator.testing.moto import MotoStepFunctions
from tests.flowgen import GeneratedFlow, random_flows

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = load_project_flows(ROOT / "pyproject.toml")


def resolved(output: Any) -> Any:
    """An output with its references read: stored lists and Distributed Maps' exports name
    their bucket (the local folder, moto's S3) and map run, which differ between the two."""
    return resolve_refs(output)


def both(sfn: MotoStepFunctions, flow: Flow, params: dict[str, Any]) -> tuple[Any, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        local = run_flow(flow.local_machine(), params, clock="virtual", store=False)
        remote = run_flow_in_moto(sfn, flow, params)
    return local, remote


@pytest.mark.parametrize("flow", SHIPPED, ids=lambda f: f.graph.resource_name)
def test_shipped_flow_runs_identically_on_engine_and_moto(
    moto_sfn: MotoStepFunctions, flow: Flow
) -> None:
    local, remote = both(moto_sfn, flow, {})
    assert local.state == remote.status == "SUCCEEDED", (local.cause, remote.cause)
    assert resolved(local.execution.output) == resolved(remote.output)
    assert local.execution.attempts_by_state() == remote.attempts_by_state()


def oracle(gen: GeneratedFlow) -> dict[str, Any]:
    """Each task's result computed by calling the task functions directly, in call order."""
    tasks = gen.flow.tasks()
    results: dict[str, Any] = {}
    graph = gen.flow.graph
    params = {p.name: p.default for p in graph.parameters}
    for node in graph.nodes:
        fn = tasks[node.task_key].fn
        wrapped = {k: {"value": v} for k, v in results.items()}
        kwargs = {k: value_of(v, wrapped, params) for k, v in node.inputs.items()}
        if node.is_map:
            iterables = {k: value_of(v, wrapped, params) for k, v in node.mapped.items()}
            count = len(next(iter(iterables.values())))
            results[node.id] = [
                fn(**kwargs, **{k: v[i] for k, v in iterables.items()}) for i in range(count)
            ]
        else:
            results[node.id] = fn(**kwargs)
    return results


# Random task options include `timeout` as low as 1 s. moto times a Task's TimeoutSeconds with the
# wall clock around the whole in-process Lambda round trip, which a loaded machine stretches to
# most of a second even for a trivial task in a Map: a 1 s timeout would make these runs flaky.
# They compare results, not timeouts (the conformance cases test timeouts), so a short timeout is
# lifted to a floor no machine load comes near; the Task states still carry TimeoutSeconds.
MIN_TIMEOUT_SECONDS = 60


def roomy_timeouts(gen: GeneratedFlow) -> GeneratedFlow:
    for t in gen.flow.tasks().values():
        timeout = t.options.timeout
        if timeout is not None and timeout < MIN_TIMEOUT_SECONDS:
            t.options = dataclasses.replace(t.options, timeout=MIN_TIMEOUT_SECONDS)
    return gen


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(gen=random_flows(max_tasks=7).map(roomy_timeouts))
def test_random_flows_agree_with_moto_and_the_oracle(
    moto_sfn: MotoStepFunctions, gen: GeneratedFlow
) -> None:
    local, remote = both(moto_sfn, gen.flow, {})
    assert local.state == remote.status == "SUCCEEDED", (local.cause, remote.cause)
    assert resolved(local.execution.output) == resolved(remote.output)
    expected = oracle(gen)
    assert local.result == expected  # every task's result, read from the history
    final = {k: v["value"] for k, v in resolved(remote.output)["results"].items()}
    assert final == {k: expected[k] for k in final}
    assert local.execution.attempts_by_state() == remote.attempts_by_state()
