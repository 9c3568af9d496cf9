"""A task call that overruns TimeoutSeconds is abandoned: its lane goes on without it.

Calls run inline on their lane's thread (engine/steps.py); when one overruns, the lane continues
on another thread with States.Timeout — TaskTimedOut recorded, Retry and Catch applied — and the
call's late result, when it comes, is ignored. The hung calls here wait on an event the test
sets only after the execution has ended, so nothing depends on how long a call takes.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

import pytest

from orchestrator.engine import RealClock

from .conftest import machine, run, task


class HangsFirst:
    """The first call with `payload == hang` blocks until `release` is set, then returns
    "late"; every other call returns its payload."""

    def __init__(self, hang: Any) -> None:
        self.hang = hang
        self.release = threading.Event()
        self.returned = threading.Event()
        self.hung = False
        self.lock = threading.Lock()

    def __call__(self, name: str, payload: Any) -> Any:
        with self.lock:
            hang = payload == self.hang and not self.hung
            self.hung = self.hung or hang
        if not hang:
            return payload
        self.release.wait()
        self.returned.set()
        return "late"


TIMEOUT_RETRY = {"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 1, "MaxAttempts": 1}


def test_a_retried_timeout_goes_on_and_the_late_result_is_ignored() -> None:
    invoke = HangsFirst({"n": 1})
    definition = machine(
        T=task(TimeoutSeconds=1, Retry=[TIMEOUT_RETRY], Next="After"),
        After={"Type": "Pass", "Result": "after", "ResultPath": "$.then", "End": True},
    )
    ex = run(definition, {"n": 1}, invoke, clock=RealClock())
    assert ex.status == "SUCCEEDED"
    assert ex.output == {"n": 1, "then": "after"}
    types = [e.type for e in ex.events]
    assert types.count("TaskScheduled") == 2
    timed_out = next(e for e in ex.events if e.type == "TaskTimedOut")
    assert timed_out.details["error"] == "States.Timeout"
    assert types[-1] == "ExecutionSucceeded"
    events = list(ex.events)
    invoke.release.set()
    assert invoke.returned.wait(10)
    assert ex.events == events and ex.output == {"n": 1, "then": "after"}


def test_a_timeout_in_a_map_iteration_is_caught_while_the_others_finish() -> None:
    invoke = HangsFirst(1)
    iteration = machine(
        T=task(
            TimeoutSeconds=1,
            Catch=[{"ErrorEquals": ["States.Timeout"], "ResultPath": "$", "Next": "Caught"}],
        ),
        Caught={"Type": "Pass", "Parameters": {"error.$": "$.Error"}, "End": True},
    )
    iteration["ProcessorConfig"] = {"Mode": "INLINE"}
    definition = machine(
        M={"Type": "Map", "ItemProcessor": iteration, "MaxConcurrency": 1, "End": True}
    )
    ex = run(definition, [0, 1, 2, 3], invoke, clock=RealClock())
    assert ex.status == "SUCCEEDED"
    assert ex.output == [0, {"error": "States.Timeout"}, 2, 3]
    assert [e.type for e in ex.events].count("MapIterationSucceeded") == 4
    invoke.release.set()
    assert invoke.returned.wait(10)
    assert ex.output == [0, {"error": "States.Timeout"}, 2, 3]


def test_an_uncaught_timeout_fails_the_execution() -> None:
    invoke = HangsFirst({})
    ex = run(machine(T=task(TimeoutSeconds=1)), {}, invoke, clock=RealClock())
    invoke.release.set()
    assert ex.status == "FAILED" and ex.error == "States.Timeout"
    assert [e.type for e in ex.events][-2:] == ["TaskTimedOut", "ExecutionFailed"]


def test_ctrl_c_handled_on_another_thread_still_aborts_the_execution() -> None:
    """A SIGINT whose C handler runs on a thread other than the waiting one (here: raised on
    the call's own thread, where `raise()` delivers it) still reaches the thread waiting in
    execute(), which raises KeyboardInterrupt and closes the run as ABORTED. The call waits on
    an event set only after that: nothing depends on how long anything takes."""
    release = threading.Event()
    recorded: list[Any] = []

    def invoke(name: str, payload: Any) -> Any:
        signal.raise_signal(signal.SIGINT)
        release.wait()
        return payload

    try:
        with pytest.raises(KeyboardInterrupt):
            run(
                machine(T=task("t", TimeoutSeconds=3600)),
                {},
                invoke,
                clock=RealClock(),
                on_record=recorded.append,
            )
    finally:
        release.set()
    assert recorded[-1].status == "ABORTED"
    assert recorded[-1].events[-1].type == "ExecutionAborted"


def test_a_call_with_an_earlier_deadline_wakes_the_watchdog_sleeping_until_a_later_one() -> None:
    """The watchdog sleeps until the earliest deadline it knows (engine/steps.py): a call
    watched later with a sooner deadline must wake it, or it would overrun unnoticed."""
    from orchestrator.engine.steps import Call, Steps, _Watchdog

    watchdog = _Watchdog()

    def steps() -> Steps[str]:
        try:
            yield Call(lambda: None, 0.05, lambda: TimeoutError("expired"))
        except TimeoutError:
            return "expired"
        return "returned"

    long_call = Call(lambda: None, 3600.0, lambda: TimeoutError("never"))
    long_token = watchdog.watch(long_call, steps(), lambda result, error: None, None)
    ended: list[Any] = []
    done = threading.Event()
    short = steps()
    short_token = watchdog.watch(
        next(short), short, lambda result, error: (ended.append(result), done.set()), None
    )
    assert done.wait(30), "the short call's deadline passed unnoticed"
    assert ended == ["expired"]
    assert not watchdog.settle(short_token)  # the watchdog settled it
    assert watchdog.settle(long_token)  # still the caller's to settle
