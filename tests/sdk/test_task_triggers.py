"""Only the trigger the planner compiles is accepted: any other is refused, never ignored."""

from __future__ import annotations

import pytest

from orchestrator import task
from orchestrator.errors import FlowDefinitionError
from orchestrator.sdk.triggers import TRIGGERS, all_successful


def work() -> int:
    return 1


def test_the_default_trigger_is_accepted_by_name_and_by_function() -> None:
    assert task(trigger=all_successful)(work).options.trigger == "all_successful"
    assert task(trigger="all_successful")(work).options.trigger == "all_successful"
    assert task(work).options.trigger == "all_successful"


@pytest.mark.parametrize("name", sorted(set(TRIGGERS) - {"all_successful"}))
def test_a_trigger_the_planner_does_not_compile_is_refused(name: str) -> None:
    with pytest.raises(FlowDefinitionError, match="is not compiled to Step Functions yet"):
        task(trigger=TRIGGERS[name])(work)
