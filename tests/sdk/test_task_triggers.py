"""Every trigger is accepted by name and by function and reaches the node; only manual_only —
a pause, which needs a resume mechanism that is not built — is refused, never ignored."""

from __future__ import annotations

import pytest

from orchestrator import Flow, task
from orchestrator.errors import FlowDefinitionError
from orchestrator.sdk.triggers import TRIGGERS, all_successful, some_failed, some_successful


def work() -> int:
    return 1


def test_the_default_trigger_is_accepted_by_name_and_by_function() -> None:
    assert task(trigger=all_successful)(work).options.trigger == "all_successful"
    assert task(trigger="all_successful")(work).options.trigger == "all_successful"
    assert task(work).options.trigger == "all_successful"


@pytest.mark.parametrize("name", sorted(set(TRIGGERS) - {"manual_only"}))
def test_every_compiled_trigger_reaches_the_graph(name: str) -> None:
    t = task(trigger=TRIGGERS[name])(work)
    with Flow("f") as flow:
        t()
    want = "all_finished" if name == "always_run" else name
    assert flow.graph.nodes[0].options.trigger == want


def test_factory_bounds_reach_the_graph() -> None:
    assert task(trigger=some_successful(at_least=2))(work).options.trigger_bounds == (2, None)
    assert task(trigger=some_failed(at_most=0.5))(work).options.trigger_bounds == (None, 0.5)


def test_manual_only_is_refused_with_a_reason_and_a_fix() -> None:
    with pytest.raises(FlowDefinitionError, match="manual_only.*not compiled.*orchestrator run"):
        task(trigger="manual_only")(work)


@pytest.mark.parametrize("bound", [-1, "2", True])
def test_a_bound_that_is_not_a_count_or_fraction_is_refused(bound: object) -> None:
    with pytest.raises(FlowDefinitionError, match="at_least"):
        task(trigger=some_successful(at_least=bound))(work)  # type: ignore[arg-type]


def test_skip_on_upstream_skip_must_be_a_bool() -> None:
    with pytest.raises(FlowDefinitionError, match="skip_on_upstream_skip"):
        task(skip_on_upstream_skip="no")(work)  # type: ignore[call-overload]
