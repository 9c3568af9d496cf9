"""The reference triggers decide exactly as Prefect 1.x's `prefect/triggers.py` does.

Expected values are written from Prefect 1.x's source (`src/prefect/triggers.py`,
`src/prefect/engine/state.py`, `TaskRunner.check_task_trigger`) and the Execution docs
(docs.prefect.io/core/concepts/execution, "Triggers"), not from our implementation. Facts used:
- state.py: `class Skipped(Success)`, `class TriggerFailed(Failed)`, `class TimedOut(Failed)`, so
  `is_successful()` holds for SKIPPED and `is_failed()` for TRIGGER_FAILED and TIMED_OUT.
- triggers.py `_get_all_states_as_set`: a `Mapped` upstream contributes its `map_states`, one per
  child (states hash by identity, so every child counts); an empty map contributes none.
- A trigger that does not pass raises TRIGGERFAIL (`check_task_trigger` also turns a False return
  into TRIGGERFAIL); `not_all_skipped` raises SKIP, `manual_only` raises PAUSE.
"""

from __future__ import annotations

import pytest

import orchestrator
import orchestrator.triggers
from orchestrator import task
from orchestrator.errors import FlowDefinitionError
from orchestrator.sdk.triggers import (
    Trigger,
    TriggerOutcome,
    UpstreamStates,
    all_failed,
    all_finished,
    all_successful,
    always_run,
    any_failed,
    any_successful,
    manual_only,
    not_all_skipped,
    some_failed,
    some_successful,
    trigger_name,
)

R, T, S, P = (
    TriggerOutcome.RUN,
    TriggerOutcome.TRIGGER_FAILED,
    TriggerOutcome.SKIP,
    TriggerOutcome.PAUSE,
)

# The upstream outcome sets, in the column order of TABLE below.
CASES: dict[str, UpstreamStates] = {
    "all succeeded": {"a": "SUCCEEDED", "b": "SUCCEEDED"},
    "one failed": {"a": "SUCCEEDED", "b": "FAILED"},
    "all failed": {"a": "FAILED", "b": "FAILED"},
    "one skipped": {"a": "SUCCEEDED", "b": "SKIPPED"},
    "all skipped": {"a": "SKIPPED", "b": "SKIPPED"},
    "one trigger-failed": {"a": "SUCCEEDED", "b": "TRIGGER_FAILED"},
    "one timed out": {"a": "SUCCEEDED", "b": "TIMED_OUT"},
    "mapped, one child failed": {"a": "SUCCEEDED", "m": ["SUCCEEDED", "FAILED", "SUCCEEDED"]},
    "empty map": {"m": []},
    "no upstream": {},
}

#  all   one   all   one   all   one   one   mapped  empty  no
#  succ  fail  fail  skip  skip  t-f   t-o   1 fail  map    upstream
TABLE: dict[str, tuple[Trigger, tuple[TriggerOutcome, ...]]] = {
    # `if not all(s.is_successful() for s in _get_all_states_as_set(...)): raise TRIGGERFAIL`
    # — no emptiness test, so an empty map and no upstream pass vacuously.
    "all_successful": (all_successful, (R, T, T, R, R, T, T, T, R, R)),
    # `if not all(s.is_failed() for s in _get_all_states_as_set(...)): raise TRIGGERFAIL`
    # — likewise vacuous: all_failed with no upstream state runs.
    "all_failed": (all_failed, (T, T, R, T, T, T, T, T, R, R)),
    # `if upstream_states and not any(s.is_successful() ...): raise TRIGGERFAIL` — the test is
    # on the edges, so no upstream runs but an upstream that mapped over nothing fails.
    "any_successful": (any_successful, (R, R, T, R, R, R, R, R, T, R)),
    # `if upstream_states and not any(s.is_failed() ...): raise TRIGGERFAIL` — as above.
    "any_failed": (any_failed, (T, R, R, T, T, R, R, R, T, R)),
    # "This task will run no matter what the upstream states are, as long as they are
    # finished." Docs: "all_finished trigger is the same as an always_run trigger".
    "all_finished": (all_finished, (R, R, R, R, R, R, R, R, R, R)),
    "always_run": (always_run, (R, R, R, R, R, R, R, R, R, R)),
    # `if context.get("resume"): return True` / `raise signals.PAUSE(...)`; docs: "The
    # manual_only trigger always puts the task in a Paused state".
    "manual_only": (manual_only, (P, P, P, P, P, P, P, P, P, P)),
    # `if all(state.is_skipped() ...): raise signals.SKIP(...)` (vacuously true with no
    # states) `elif not all(state.is_successful() ...): raise signals.TRIGGERFAIL(...)`.
    "not_all_skipped": (not_all_skipped, (R, T, T, R, S, T, T, T, S, S)),
    # `if not upstream_states: return True`; bounds default to 0 and `num_states`, so with
    # neither bound every count passes.
    "some_successful()": (some_successful(), (R, R, R, R, R, R, R, R, R, R)),
    "some_failed()": (some_failed(), (R, R, R, R, R, R, R, R, R, R)),
    # `min_num = (num_states * at_least) if at_least < 1 else at_least`: 1 is an absolute
    # count, not 100%; an empty map gives `1 <= 0`, false, so it fails like any_successful.
    "some_successful(at_least=1)": (some_successful(at_least=1), (R, R, T, R, R, R, R, R, T, R)),
    "some_failed(at_least=1)": (some_failed(at_least=1), (T, R, R, T, T, R, R, R, T, R)),
}

ROWS = [
    pytest.param(trigger, states, expected, id=f"{name}-{case}")
    for name, (trigger, outcomes) in TABLE.items()
    for (case, states), expected in zip(CASES.items(), outcomes, strict=True)
]


@pytest.mark.parametrize(("trigger", "states", "expected"), ROWS)
def test_trigger_decides_as_prefect_1(
    trigger: Trigger, states: UpstreamStates, expected: TriggerOutcome
) -> None:
    assert trigger(states) is expected


def test_manual_only_runs_when_resumed() -> None:
    # `if context.get("resume"): return True`
    assert manual_only({"a": "FAILED"}, resume=True) is R
    assert manual_only({}, resume=True) is R


def test_an_outcome_names_the_state_the_task_ends_in() -> None:
    assert [o.value for o in TriggerOutcome] == ["RUN", "TRIGGER_FAILED", "SKIPPED", "PAUSED"]


def test_a_state_that_is_not_finished_is_refused() -> None:
    # Docs: "Tasks will only evaluate their triggers if all upstream tasks are in Finished states."
    with pytest.raises(ValueError, match="RUNNING"):
        all_finished({"a": "RUNNING"})
    with pytest.raises(ValueError, match="PENDING"):
        any_failed({"m": ["SUCCEEDED", "PENDING"]})


def upstream(succeeded: int, failed: int) -> dict[str, str]:
    states = ["SUCCEEDED"] * succeeded + ["FAILED"] * failed
    return {f"t{i}": s for i, s in enumerate(states)}


# (trigger, succeeded, failed, expected): `if not (min_num <= num <= max_num): raise TRIGGERFAIL`,
# both bounds inclusive; a bound < 1 is `num_states * bound`, otherwise an absolute count.
BOUNDS = [
    (some_successful(at_least=2), 2, 1, R),  # at the lower bound
    (some_successful(at_least=2), 1, 2, T),  # one below it
    (some_successful(at_most=1), 1, 2, R),  # at the upper bound
    (some_successful(at_most=1), 2, 1, T),  # one above it
    (some_successful(at_most=1), 0, 3, R),  # no lower bound: 0
    (some_successful(at_least=1, at_most=2), 0, 3, T),
    (some_successful(at_least=1, at_most=2), 1, 2, R),
    (some_successful(at_least=1, at_most=2), 2, 1, R),
    (some_successful(at_least=1, at_most=2), 3, 0, T),
    (some_failed(at_least=0.5), 2, 2, R),  # 50% of 4 = 2, at the bound
    (some_failed(at_least=0.5), 3, 1, T),
    (some_failed(at_least=0.5), 1, 2, R),  # 50% of 3 = 1.5: 2 failures pass
    (some_failed(at_least=0.5), 2, 1, T),  # and 1 does not
    (some_failed(at_most=0.5), 2, 2, R),
    (some_failed(at_most=0.5), 1, 3, T),
    (some_failed(at_least=3), 0, 3, R),
    (some_failed(at_least=4), 0, 3, T),  # more than there are upstream tasks
    (some_failed(at_most=0), 3, 0, R),
    (some_failed(at_most=0), 2, 1, T),
]


@pytest.mark.parametrize(("trigger", "succeeded", "failed", "expected"), BOUNDS)
def test_some_triggers_count_within_inclusive_bounds(
    trigger: Trigger, succeeded: int, failed: int, expected: TriggerOutcome
) -> None:
    assert trigger(upstream(succeeded, failed)) is expected


def test_some_triggers_count_children_skips_and_trigger_failures() -> None:
    # A mapped upstream counts each child; Skipped(Success); TriggerFailed/TimedOut(Failed).
    assert some_failed(at_least=2)({"m": ["FAILED", "FAILED", "SUCCEEDED"]}) is R
    assert some_failed(at_least=3)({"m": ["FAILED", "FAILED", "SUCCEEDED"]}) is T
    assert some_successful(at_least=2)({"a": "SKIPPED", "b": "SUCCEEDED", "c": "FAILED"}) is R
    assert some_failed(at_least=2)({"a": "TRIGGER_FAILED", "b": "TIMED_OUT", "c": "SKIPPED"}) is R


def test_a_factory_result_is_named_after_its_factory() -> None:
    bounded = some_successful(at_least=2, at_most=0.9)
    assert trigger_name(bounded) == "some_successful"
    assert (bounded.at_least, bounded.at_most) == (2, 0.9)  # type: ignore[attr-defined]
    assert trigger_name(some_failed()) == "some_failed"
    assert some_failed() is not some_failed()  # a new closure each call, named all the same
    assert trigger_name(some_successful) is None  # the factory itself is not a trigger
    assert trigger_name(always_run) == "all_finished"
    assert trigger_name(not_all_skipped) == "not_all_skipped"


def test_a_factory_result_is_accepted_with_its_bounds() -> None:
    options = task(trigger=some_failed(at_least=1))(lambda: 1).options
    assert (options.trigger, options.trigger_bounds) == ("some_failed", (1, None))


def test_a_trigger_that_is_not_a_trigger_is_refused() -> None:
    with pytest.raises(FlowDefinitionError, match="is not a known trigger"):
        task(trigger=some_failed)(lambda: 1)  # the factory, not what it makes


def test_the_triggers_are_public_at_prefects_paths() -> None:
    for name in ("not_all_skipped", "some_failed", "some_successful", "TriggerOutcome"):
        assert name in orchestrator.__all__
        assert getattr(orchestrator.triggers, name) is getattr(orchestrator, name)
