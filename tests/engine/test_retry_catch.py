"""Retry counting and backoff, Catch order, timeouts and payload limits."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from orchestrator.engine import LambdaFunctionError, RealClock, VirtualClock

from .conftest import machine, run, task


class Flaky:
    """Fails with the given error names in order, then returns its payload."""

    def __init__(self, *errors: str) -> None:
        self.errors = list(errors)
        self.calls = 0

    def __call__(self, name: str, payload: Any) -> Any:
        self.calls += 1
        if self.errors:
            error = self.errors.pop(0)
            raise LambdaFunctionError(error, json.dumps({"errorType": error, "errorMessage": "x"}))
        return payload


def retry(**fields: Any) -> dict[str, Any]:
    return {"ErrorEquals": ["States.ALL"], **fields}


def test_exponential_delays_are_exact_on_the_virtual_clock() -> None:
    flaky = Flaky(*["Boom"] * 5)
    started = time.monotonic()
    ex = run(
        machine(T=task(Retry=[retry(IntervalSeconds=60, BackoffRate=2.0, MaxAttempts=5)])),
        {"a": 1},
        flaky,
    )
    assert time.monotonic() - started < 60  # 1,860 s of backoff, recorded not slept
    assert ex.status == "SUCCEEDED" and ex.output == {"a": 1}
    assert ex.delays() == [("T", 60), ("T", 120), ("T", 240), ("T", 480), ("T", 960)]
    assert ex.attempts_by_state() == {"T": 6}


def test_max_attempts_counts_retries_and_zero_never_retries() -> None:
    ex = run(machine(T=task(Retry=[retry(MaxAttempts=2)])), {}, Flaky(*["E"] * 9))
    assert ex.status == "FAILED" and ex.error == "E"
    assert ex.attempts_by_state() == {"T": 3}
    ex = run(machine(T=task(Retry=[retry(MaxAttempts=0)])), {}, Flaky("E"))
    assert ex.attempts_by_state() == {"T": 1} and ex.delays() == []


def test_default_retrier_values() -> None:
    ex = run(machine(T=task(Retry=[retry()])), {}, Flaky(*["E"] * 9))
    assert ex.delays() == [("T", 1.0), ("T", 2.0), ("T", 4.0)]


def test_max_delay_caps_backoff() -> None:
    ex = run(
        machine(T=task(Retry=[retry(IntervalSeconds=10, BackoffRate=3, MaxDelaySeconds=50)])),
        {},
        Flaky(*["E"] * 3),
    )
    assert [d for _, d in ex.delays()] == [10, 30, 50]


def test_full_jitter_stays_within_cap_and_is_seeded() -> None:
    spec = machine(T=task(Retry=[retry(IntervalSeconds=10, MaxAttempts=6, JitterStrategy="FULL")]))
    first = run(spec, {}, Flaky(*["E"] * 6), clock=VirtualClock(seed=3)).delays()
    again = run(spec, {}, Flaky(*["E"] * 6), clock=VirtualClock(seed=3)).delays()
    assert first == again
    for n, (_, seconds) in enumerate(first):
        assert 0 <= seconds <= 10 * 2**n
    assert [s for _, s in first] != [10 * 2**n for n in range(6)]


def test_first_matching_retrier_wins_and_budgets_are_separate() -> None:
    retriers = [
        {"ErrorEquals": ["A"], "MaxAttempts": 1, "IntervalSeconds": 1},
        {"ErrorEquals": ["B"], "MaxAttempts": 2, "IntervalSeconds": 5},
        {"ErrorEquals": ["States.ALL"], "MaxAttempts": 5, "IntervalSeconds": 100},
    ]
    ex = run(machine(T=task(Retry=retriers)), {}, Flaky("A", "B", "B", "A"))
    # The second A finds its retrier spent: it is not handed to States.ALL.
    assert ex.status == "FAILED" and ex.error == "A"
    assert ex.delays() == [("T", 1), ("T", 5), ("T", 10)]


def test_retry_count_in_context() -> None:
    seen: list[int] = []

    def invoke(name: str, payload: Any) -> Any:
        seen.append(payload["retry"])
        if len(seen) < 3:
            raise LambdaFunctionError("E", "{}")
        return 1

    spec = task(Retry=[retry()])
    spec["Parameters"] = {"FunctionName": "f", "Payload": {"retry.$": "$$.State.RetryCount"}}
    run(machine(T=spec), {}, invoke)
    assert seen == [0, 1, 2]


def test_catch_order_and_result_path() -> None:
    catchers = [
        {"ErrorEquals": ["Other"], "Next": "Wrong"},
        {"ErrorEquals": ["Boom", "X"], "ResultPath": "$.err", "Next": "Handled"},
        {"ErrorEquals": ["States.ALL"], "Next": "Wrong"},
    ]
    ex = run(
        machine(
            T=task(Catch=catchers, Next="Wrong"),
            Handled={"Type": "Pass", "End": True},
            Wrong={"Type": "Fail", "Error": "wrong"},
        ),
        {"keep": 1},
        Flaky("Boom"),
    )
    assert ex.status == "SUCCEEDED"
    assert ex.output["keep"] == 1
    assert ex.output["err"]["Error"] == "Boom"
    assert json.loads(ex.output["err"]["Cause"])["errorType"] == "Boom"


def test_catch_result_path_null_and_task_failed_wildcard() -> None:
    ex = run(
        machine(
            T=task(Catch=[{"ErrorEquals": ["States.TaskFailed"], "ResultPath": None, "Next": "H"}]),
            H={"Type": "Pass", "End": True},
        ),
        {"keep": 1},
        Flaky("Custom"),
    )
    assert ex.output == {"keep": 1}


def test_invoker_exception_becomes_task_failure() -> None:
    def invoke(name: str, payload: Any) -> Any:
        raise ValueError("nope")

    ex = run(machine(T=task()), {}, invoke)
    assert (ex.error, ex.cause) == ("ValueError", "nope")
    assert ex.events[-2].type == "TaskFailed"


def test_lambda_invoke_result_shape_and_events() -> None:
    spec = task()
    del spec["OutputPath"]
    ex = run(machine(T=spec), {"a": 1}, lambda name, payload: {"got": payload, "fn": name})
    assert ex.output["Payload"] == {"got": {"a": 1}, "fn": "fn"}
    assert ex.output["StatusCode"] == 200 and ex.output["ExecutedVersion"] == "$LATEST"
    types = [e.type for e in ex.events]
    assert types[2:6] == ["TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskStateExited"]
    scheduled = ex.events[2].details
    assert scheduled["resourceType"] == "lambda"
    assert json.loads(scheduled["parameters"]) == {"FunctionName": "fn", "Payload": {"a": 1}}


def test_bare_function_arn_and_placeholder() -> None:
    calls: list[str] = []

    def invoke(name: str, payload: Any) -> Any:
        calls.append(name)
        return {"n": payload["n"] + 1}

    ex = run(
        machine(
            A={"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:f", "Next": "B"},
            B={"Type": "Task", "Resource": "${FnArn}", "End": True},
        ),
        {"n": 0},
        invoke,
    )
    assert ex.output == {"n": 2}
    assert calls == ["arn:aws:lambda:us-east-1:1:function:f", "${FnArn}"]
    assert "LambdaFunctionScheduled" in [e.type for e in ex.events]
    assert ex.attempts_by_state() == {"A": 1, "B": 1}


def test_task_timeout_in_real_time_is_caught() -> None:
    def slow(name: str, payload: Any) -> Any:
        time.sleep(60)
        return payload

    started = time.monotonic()
    ex = run(
        machine(
            T=task(
                TimeoutSeconds=1,
                Catch=[{"ErrorEquals": ["States.Timeout"], "ResultPath": "$.e", "Next": "C"}],
            ),
            C={"Type": "Pass", "End": True},
        ),
        {},
        slow,
    )
    assert time.monotonic() - started < 30  # the 60 s call was abandoned at 1 s
    assert ex.status == "SUCCEEDED"
    assert ex.output["e"]["Error"] == "States.Timeout"
    assert "TaskTimedOut" in [e.type for e in ex.events]


def test_timeout_seconds_path() -> None:
    def slow(name: str, payload: Any) -> Any:
        time.sleep(60)
        return payload

    started = time.monotonic()
    ex = run(machine(T=task(TimeoutSecondsPath="$.t")), {"t": 1}, slow, clock=RealClock())
    assert ex.error == "States.Timeout" and time.monotonic() - started < 30


def test_machine_timeout_times_out_execution() -> None:
    definition = {
        "TimeoutSeconds": 30,
        **machine(W={"Type": "Wait", "Seconds": 100, "Next": "Never"}, Never={"Type": "Succeed"}),
    }
    ex = run(definition)
    assert ex.status == "TIMED_OUT"
    # DescribeExecution of a TIMED_OUT execution has no error or cause; nor has its event.
    assert ex.error is None and ex.cause is None
    assert ex.events[-1].type == "ExecutionTimedOut"
    assert ex.events[-1].details == {}
    assert "SucceedStateEntered" not in [e.type for e in ex.events]


def test_machine_timeout_interrupts_a_slow_task() -> None:
    def slow(name: str, payload: Any) -> Any:
        time.sleep(60)
        return payload

    started = time.monotonic()
    ex = run({"TimeoutSeconds": 1, **machine(T=task())}, {}, slow)
    assert ex.status == "TIMED_OUT" and time.monotonic() - started < 30


def test_data_limit_exceeded_on_task_result() -> None:
    big = "x" * 300_000
    ex = run(
        machine(
            T=task(Retry=[retry()], Catch=[{"ErrorEquals": ["States.ALL"], "Next": "C"}]),
            C={"Type": "Succeed"},
        ),
        {},
        lambda name, payload: big,
    )
    # As AWS does (LocalStack's AWS-recorded test_states_errors snapshot), States.ALL catches
    # States.DataLimitExceeded, and retries it first; the cause names the resource type.
    assert ex.status == "SUCCEEDED"
    assert ex.output == {
        "Error": "States.DataLimitExceeded",
        "Cause": "The state/task 'lambda' returned a result with a size exceeding the maximum "
        "number of bytes service limit.",
    }
    assert ex.attempts_by_state() == {"T": 4}


def test_data_limit_exceeded_can_be_caught_by_name() -> None:
    ex = run(
        machine(
            T=task(Catch=[{"ErrorEquals": ["States.DataLimitExceeded"], "Next": "C"}]),
            C={"Type": "Pass", "Result": "small", "End": True},
        ),
        {},
        lambda name, payload: "é" * 140_000,  # 280,000 bytes in UTF-8
    )
    assert ex.output == "small"


def test_data_limit_exceeded_on_state_output() -> None:
    ex = run(machine(P={"Type": "Pass", "Result": "x" * 262_145, "End": True}))
    assert ex.error == "States.DataLimitExceeded"


@pytest.mark.parametrize("bad", [["States.ALL", "E"], "last"])
def test_states_all_must_be_alone_and_last(bad: Any) -> None:
    from orchestrator.engine import DefinitionError

    retriers = (
        [{"ErrorEquals": bad}]
        if isinstance(bad, list)
        else [{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["E"]}]
    )
    with pytest.raises(DefinitionError):
        run(machine(T=task(Retry=retriers)))
