"""`redrive`: an unsuccessful execution continued from where it stopped, as RedriveExecution does.

The expected values are AWS's documented behaviour, quoted where each is asserted. Sources:
developer guide "Restarting state machine executions with redrive in Step Functions" (DG),
"Redriving Map Runs in Step Functions executions" (DG Map Run), the context object page (DG
context), and the API reference's RedriveExecution and DescribeExecution (API).
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest

from orchestrator.engine import (
    Execution,
    ExecutionNotRedrivable,
    LambdaFunctionError,
    VirtualClock,
    redrive,
)
from orchestrator.engine.history import HistoryEvent
from orchestrator.engine.lane import iso

from .conftest import machine, run, task


class Tasks:
    """An invoker that records every call and fails the functions in `broken` until healed."""

    def __init__(self, *broken: str) -> None:
        self.broken = set(broken)
        self.calls: list[tuple[str, Any]] = []
        self.lock = threading.Lock()

    def __call__(self, name: str, payload: Any) -> Any:
        with self.lock:
            self.calls.append((name, payload))
        if name in self.broken:
            raise LambdaFunctionError("Broken", f"{name} is broken")
        return payload

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]

    def heal(self) -> None:
        self.broken.clear()
        self.calls.clear()


def again(execution: Execution, tasks: Any, **kw: Any) -> Execution:
    kw.setdefault("clock", VirtualClock(seed=0))
    return redrive(execution, invoke=tasks, **kw)


def types(events: list[HistoryEvent]) -> list[str]:
    return [e.type for e in events]


def test_continues_at_the_failed_state_with_its_input_same_arn_history_appended() -> None:
    # DG: "Step Functions continues the failed execution from the unsuccessful step and uses the
    # same input. Step Functions preserves the results and execution history of the successful
    # steps, which are not rerun [...] Redriven executions use the same state machine definition
    # and execution ARN." "In the Events section, you can see the redrive related execution
    # events appended to the events of the original execution attempt. For example, the
    # ExecutionRedriven event."
    spec = machine(
        A={"Type": "Pass", "Result": 1, "ResultPath": "$.a", "Next": "T"},
        T=task("t", Next="B"),
        B=task("b"),
    )
    tasks = Tasks("t")
    failed = run(spec, {"x": 1}, tasks)
    assert failed.status == "FAILED" and failed.error == "Broken"
    assert failed.progress is not None and failed.progress["state"] == "T"
    kept = list(failed.events)

    tasks.heal()
    redriven = again(failed, tasks)
    assert redriven.status == "SUCCEEDED"
    assert redriven.output == {"x": 1, "a": 1}
    assert tasks.names() == ["t", "b"]  # A, which succeeded, is not run again
    assert (redriven.execution_arn, redriven.name) == (failed.execution_arn, failed.name)
    assert redriven.start_date == failed.start_date and redriven.input == failed.input
    assert redriven.events[: len(kept)] == kept
    marker = redriven.events[len(kept)]
    assert (marker.id, marker.type, marker.details) == (
        len(kept) + 1,
        "ExecutionRedriven",
        {"redriveCount": 1},
    )
    entered = [e for e in redriven.events if e.type == "TaskStateEntered"]
    assert [e.details["name"] for e in entered] == ["T", "T", "B"]
    assert entered[1].details["input"] == entered[0].details["input"]  # the original input
    assert entered[1].previous_event_id == marker.id
    assert types(redriven.events).count("PassStateEntered") == 1
    assert [e.id for e in redriven.events] == list(range(1, len(redriven.events) + 1))
    # API DescribeExecution: redriveCount "the number of times you've redriven an execution",
    # redriveDate "the date the execution was last redriven".
    assert (failed.redrive_count, failed.redrive_date) == (0, None)
    assert redriven.redrive_count == 1 and redriven.redrive_date is not None
    assert len(failed.events) == len(kept)  # the execution redriven is not changed


def test_redrive_count_and_time_in_the_context_object() -> None:
    # DG context: Execution.RedriveCount, Execution.RedriveTime; "RedriveTime Context object is
    # only available if you've redriven an execution."
    spec = machine(
        T=task("t", Parameters={"FunctionName": "t", "Payload": {"execution.$": "$$.Execution"}})
    )
    tasks = Tasks("t")
    first = run(spec, {}, tasks)
    second = again(first, tasks)
    tasks.broken.clear()
    third = again(second, tasks)
    contexts = [payload["execution"] for _, payload in tasks.calls]
    assert third.status == "SUCCEEDED" and third.redrive_count == 2
    assert [c["RedriveCount"] for c in contexts] == [0, 1, 2]
    assert "RedriveTime" not in contexts[0]
    assert contexts[1]["RedriveTime"] == iso(second.redrive_date)  # type: ignore[arg-type]
    assert contexts[2]["RedriveTime"] == iso(third.redrive_date)  # type: ignore[arg-type]
    assert {c["Id"] for c in contexts} == {first.execution_arn}
    assert {c["StartTime"] for c in contexts} == {iso(first.start_date)}


def test_retry_attempts_start_over_on_a_redrive() -> None:
    # DG "Retry behavior of redriven executions": "the retry attempt count for these states is
    # reset to 0 to allow for the maximum number of attempts on redrive."
    retry = [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 1, "IntervalSeconds": 1}]
    payload = {"FunctionName": "t", "Payload": {"retry.$": "$$.State.RetryCount"}}
    spec = machine(T=task("t", Retry=retry, Parameters=payload))
    tasks = Tasks("t")
    failed = run(spec, {}, tasks)
    redriven = again(failed, tasks)
    assert redriven.status == "FAILED"
    assert [payload["retry"] for _, payload in tasks.calls] == [0, 1, 0, 1]
    assert redriven.attempts_by_state() == {"T": 4}


def test_parallel_redrives_only_the_failed_branch_from_its_failed_state() -> None:
    # DG: Parallel "Reschedules and redrives only those branches that failed or aborted."
    # The failing branch's first state succeeded: it is not run again either.
    spec = machine(
        P={
            "Type": "Parallel",
            "Branches": [
                machine(L1=task("l1", Next="L2"), L2=task("l2")),
                machine(M1=task("m1", Next="M2"), M2=task("m2")),
                machine(R1=task("r1", Next="R2"), R2=task("r2")),
            ],
            "End": True,
        }
    )
    siblings_done = threading.Event()

    class Waits(Tasks):
        def __call__(self, name: str, payload: Any) -> Any:
            if name == "m2" and self.broken:  # fail once the other branches have finished
                siblings_done.wait(60)  # no margin: they end on their own, unless broken
            result = super().__call__(name, payload)
            if {"l2", "r2"} <= set(self.names()):
                siblings_done.set()
            return result

    tasks = Waits("m2")
    failed = run(spec, {"v": 1}, tasks)
    assert failed.status == "FAILED"
    tasks.heal()
    redriven = again(failed, tasks)
    assert redriven.status == "SUCCEEDED"
    assert tasks.names() == ["m2"]
    assert redriven.output == [{"v": 1}, {"v": 1}, {"v": 1}]
    redrive_part = types(redriven.events[len(failed.events) :])
    assert redrive_part[:3] == ["ExecutionRedriven", "ParallelStateEntered", "ParallelStateStarted"]


def test_a_parallel_that_failed_on_its_size_reruns_every_branch() -> None:
    # DG: "If the state failed because of a States.DataLimitExceeded error, the Parallel state
    # is rerun, including the branches that were successful in the original execution attempt."
    big = "x" * 100_000
    calls: list[str] = []
    first_time = {"a", "b", "c"}

    def invoke(name: str, payload: Any) -> Any:
        calls.append(name)
        if name in first_time:
            first_time.discard(name)
            return big
        return "small"

    spec = machine(
        P={
            "Type": "Parallel",
            "Branches": [machine(A=task("a")), machine(B=task("b")), machine(C=task("c"))],
            "End": True,
        }
    )
    failed = run(spec, {}, invoke)
    assert failed.error == "States.DataLimitExceeded"
    calls.clear()
    redriven = again(failed, invoke)
    assert sorted(calls) == ["a", "b", "c"]
    assert redriven.output == ["small", "small", "small"]


def test_inline_map_redrives_failed_and_unstarted_iterations_only() -> None:
    # DG: Inline Map "Reschedules and redrives only those iterations that failed or aborted";
    # an iteration that never started runs for the first time. A failed iteration continues at
    # its failed state: its first state (which succeeded) is not run again.
    processor = machine(Prep=task("prep", Next="Work"), Work=task("work"))
    spec = machine(
        M={"Type": "Map", "ItemProcessor": processor, "MaxConcurrency": 1, "End": True},
    )

    def invoke(name: str, payload: Any) -> Any:
        calls.append((name, payload))
        if name == "work" and payload == 2 and broken:
            raise LambdaFunctionError("Broken", "item 2")
        return payload * 10 if name == "work" else payload

    calls: list[tuple[str, Any]] = []
    broken = True
    failed = run(spec, [0, 1, 2, 3, 4], invoke)
    assert failed.status == "FAILED"
    assert calls == [("prep", 0), ("work", 0), ("prep", 1), ("work", 1), ("prep", 2), ("work", 2)]
    calls.clear()
    broken = False
    redriven = again(failed, invoke)
    assert redriven.output == [0, 10, 20, 30, 40]
    assert calls == [("work", 2), ("prep", 3), ("work", 3), ("prep", 4), ("work", 4)]
    started = [
        e.details["index"]
        for e in redriven.events[len(failed.events) :]
        if e.type == "MapIterationStarted"
    ]
    assert started == [2, 3, 4]
    assert {"type": "MapStateStarted", "length": 5} in [
        {"type": e.type, **e.details} for e in redriven.events[len(failed.events) :]
    ]


def test_distributed_map_redrives_its_map_run() -> None:
    # DG Map Run: "A redriven parent workflow redrives all the unsuccessful states, including
    # Distributed Map"; Standard children "that failed, timed out, or canceled in the original
    # execution attempt are redriven"; the history shows a MapRunRedriven event (details:
    # mapRunArn, redriveCount), and the Map Run keeps its ARN.
    config = {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}
    processor = {**machine(W=task("work")), "ProcessorConfig": config}
    spec = machine(
        M={"Type": "Map", "ItemProcessor": processor, "MaxConcurrency": 1, "End": True},
    )
    broken = [True]

    def invoke(name: str, payload: Any) -> Any:
        calls.append(payload)
        if payload == 1 and broken[0]:
            raise LambdaFunctionError("Broken", "item 1")
        return payload + 100

    calls: list[Any] = []
    failed = run(spec, [0, 1, 2], invoke)
    assert failed.error == "States.ExceedToleratedFailureThreshold"
    (started,) = [e for e in failed.events if e.type == "MapRunStarted"]
    calls.clear()
    broken[0] = False
    redriven = again(failed, invoke)
    assert redriven.output == [100, 101, 102]
    assert calls == [1, 2]
    later = redriven.events[len(failed.events) :]
    (redriven_run,) = [e for e in later if e.type == "MapRunRedriven"]
    assert redriven_run.details == {
        "mapRunArn": started.details["mapRunArn"],
        "redriveCount": 1,
    }
    assert "MapRunStarted" not in types(later)


def test_a_fail_state_is_entered_again_and_fails_again() -> None:
    # DG: Fail "Reenters the Fail state and fails again."
    spec = machine(
        T=task("t", Catch=[{"ErrorEquals": ["States.ALL"], "Next": "F"}]),
        F={"Type": "Fail", "Error": "Gave", "Cause": "up"},
    )
    tasks = Tasks("t")
    failed = run(spec, {}, tasks)
    tasks.heal()
    redriven = again(failed, tasks)
    assert (redriven.status, redriven.error) == ("FAILED", "Gave")
    assert tasks.calls == []
    assert types(redriven.events[len(failed.events) :]) == [
        "ExecutionRedriven",
        "FailStateEntered",
        "ExecutionFailed",
    ]
    assert again(redriven, tasks).redrive_count == 2


def test_a_timed_out_execution_redrives_with_the_machine_timeout_reset() -> None:
    # DG: "When you redrive an execution, the state machine level timeout, if defined, is reset"
    # (its clock starts over at the redrive); the Wait that finished is not waited again.
    spec = {
        **machine(
            W1={"Type": "Wait", "Seconds": 6, "Next": "W2"},
            W2={"Type": "Wait", "Seconds": 8, "End": True},
        ),
        "TimeoutSeconds": 10,
    }
    timed_out = run(spec, {})
    assert timed_out.status == "TIMED_OUT"
    redriven = again(timed_out, Tasks())
    assert redriven.status == "SUCCEEDED"
    assert redriven.delays() == [("W1", 6), ("W2", 8), ("W2", 8)]
    assert types(redriven.events).count("WaitStateEntered") == 3  # W1, W2, W2 again


def test_an_aborted_execution_can_be_redriven() -> None:
    # API: RedriveExecution "Restarts unsuccessful executions [...] These include failed,
    # aborted, or timed out executions."
    recorded: list[Execution] = []
    interrupt = [True]

    def invoke(name: str, payload: Any) -> Any:
        if interrupt.pop() if interrupt else False:
            raise KeyboardInterrupt  # Ctrl-C while the task runs
        return payload

    with pytest.raises(KeyboardInterrupt):
        run(machine(T=task("t")), {"k": 1}, invoke, on_record=recorded.append)
    aborted = recorded[-1]
    assert aborted.status == "ABORTED"
    assert aborted.progress == {"state": "T", "input": '{"k":1}'}
    redriven = again(aborted, invoke)
    assert redriven.status == "SUCCEEDED" and redriven.output == {"k": 1}


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        # API DescribeExecution redriveStatusReason values, verbatim.
        ({"status": "SUCCEEDED"}, "Execution is SUCCEEDED and cannot be redriven"),
        ({"status": "RUNNING"}, "Execution is RUNNING and cannot be redriven"),
        ({"progress": None}, "Execution was started before the launch of RedriveExecution"),
    ],
)
def test_refused_with_aws_reasons(change: dict[str, Any], reason: str) -> None:
    failed = run(machine(F={"Type": "Fail", "Error": "E"}), {})
    for key, value in change.items():
        setattr(failed, key, value)
    with pytest.raises(ExecutionNotRedrivable, match=f"^{reason}$") as refused:
        again(failed, Tasks())
    assert refused.value.error == "ExecutionNotRedrivable"


def test_the_redrivable_period_is_14_days_from_the_end() -> None:
    # API: "Your workflow execution has not exceeded the redrivable period of 14 days. [...]
    # This period starts from the day a state machine completes its execution."
    failed = run(machine(F={"Type": "Fail", "Error": "E"}), {})
    late = VirtualClock(start=failed.stop_date + timedelta(days=14, seconds=1))
    with pytest.raises(ExecutionNotRedrivable, match="^Execution redrivable period exceeded$"):
        redrive(failed, invoke=Tasks(), clock=late)
    in_time = VirtualClock(start=failed.stop_date + timedelta(days=13, hours=23))
    assert redrive(failed, invoke=Tasks(), clock=in_time).redrive_count == 1


def test_a_history_of_24999_events_is_not_redriven() -> None:
    # API: "The execution event history count is less than 24,999 [...] to accommodate the
    # ExecutionRedriven history event and at least one other history event."
    failed = run(machine(F={"Type": "Fail", "Error": "E"}), {})
    filler = failed.events[-1]
    failed.events = [filler] * 24_998
    assert again(failed, Tasks()).status == "FAILED"
    failed.events = [filler] * 24_999
    with pytest.raises(ExecutionNotRedrivable, match="^Execution history event limit exceeded$"):
        again(failed, Tasks())


def test_express_executions_are_not_redriven() -> None:
    # API: "This API action is not supported by EXPRESS state machines."
    failed = run(machine(F={"Type": "Fail", "Error": "E"}), {}, state_machine_type="EXPRESS")
    with pytest.raises(ExecutionNotRedrivable, match="EXPRESS"):
        again(failed, Tasks())


def test_nested_a_map_inside_a_parallel_branch_redrives_only_the_failed_item() -> None:
    # The rules compose: the failed branch continues at its Map, which re-runs its failed item.
    inner = {
        "Type": "Map",
        "ItemProcessor": machine(W=task("work")),
        "MaxConcurrency": 1,
        "End": True,
    }
    spec = machine(
        P={
            "Type": "Parallel",
            "Branches": [
                machine(Solo=task("solo")),
                machine(Prep=task("prep", Next="Items"), Items=inner),
            ],
            "End": True,
        }
    )
    seen: list[tuple[str, Any]] = []
    broken = [True]

    def invoke(name: str, payload: Any) -> Any:
        seen.append((name, payload))
        if name == "work" and payload == 1 and broken[0]:
            raise LambdaFunctionError("Broken", "item 1")
        return payload

    failed = run(spec, [0, 1, 2], invoke)
    assert failed.status == "FAILED"
    progress = failed.progress
    assert progress is not None and progress["state"] == "P"
    seen.clear()
    broken[0] = False
    redriven = again(failed, invoke)
    assert redriven.output == [[0, 1, 2], [0, 1, 2]]
    assert ("prep", [0, 1, 2]) not in seen and ("work", 0) not in seen
    assert ("work", 1) in seen and ("work", 2) in seen
