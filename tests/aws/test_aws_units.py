"""The pieces of `orchestrator.aws` that need no server: paging, filter patterns, error lines,
the executor protocol of `Flow.run`, and the harness's stdout capture."""

from __future__ import annotations

import io
import json
import sys
import threading
import warnings
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError, NoRegionError

from orchestrator import flow, task
from orchestrator.aws import AwsError, DeployedFlow, Deployment, StepFunctionsExecutor
from orchestrator.aws.errors import aws_calls
from orchestrator.aws.executions import list_runs
from orchestrator.aws.history import HistoryFollower, read_history
from orchestrator.aws.logs import LogLine, filter_pattern, functions_of
from orchestrator.cli.aws_options import parse_since
from orchestrator.errors import ParameterError
from orchestrator.executors import LocalDaskExecutor
from orchestrator.testing.lambda_logs import StdoutCapture
from orchestrator.testing.moto_server import JsonFilterPattern

ARN = "arn:aws:states:eu-west-1:111122223333:execution:proj-dev-ETLStateMachine-X:run-1"
T0 = datetime(2024, 11, 11, tzinfo=UTC)


def event(i: int, kind: str = "PassStateEntered") -> dict[str, Any]:
    return {"id": i, "previousEventId": i - 1, "timestamp": T0, "type": kind}


class PagedHistory:
    """GetExecutionHistory as AWS pages it: `maxResults` (here `page`), `reverseOrder`."""

    def __init__(self, events: list[dict[str, Any]], page: int) -> None:
        self.events, self.page, self.calls = events, page, 0

    def get_execution_history(self, **kwargs: Any) -> dict[str, Any]:
        self.calls += 1
        ordered = self.events[::-1] if kwargs["reverseOrder"] else self.events
        start = int(kwargs.get("nextToken", 0))
        out: dict[str, Any] = {"events": ordered[start : start + self.page]}
        if start + self.page < len(ordered):
            out["nextToken"] = str(start + self.page)
        return out


def test_a_history_is_read_page_by_page_in_id_order() -> None:
    sfn = PagedHistory([event(i) for i in range(1, 8)], page=3)
    assert [e["id"] for e in read_history(sfn, ARN)] == list(range(1, 8))
    assert sfn.calls == 3


def test_following_a_history_reads_only_the_new_pages() -> None:
    sfn = PagedHistory([event(i) for i in range(1, 6)], page=2)
    follower = HistoryFollower(sfn, ARN)
    assert [e["id"] for e in follower.poll()] == [1, 2, 3, 4, 5]
    sfn.events += [event(6), event(7), event(8, "ExecutionSucceeded")]
    sfn.calls = 0
    assert [e["id"] for e in follower.poll()] == [6, 7, 8]
    assert sfn.calls == 2  # newest first: (8, 7), then (6, 5) reaches what was seen
    assert follower.status == "SUCCEEDED"
    assert follower.poll() == []


def test_a_history_in_the_wrong_order_is_followed_all_the_same() -> None:
    class OldestFirst(PagedHistory):  # moto ignores reverseOrder and maxResults
        def get_execution_history(self, **kwargs: Any) -> dict[str, Any]:
            return {"events": list(self.events)}

    sfn = OldestFirst([event(1), event(2)], page=1)
    follower = HistoryFollower(sfn, ARN)
    assert [e["id"] for e in follower.poll()] == [1, 2]
    sfn.events.append(event(3, "ExecutionFailed"))
    assert [e["id"] for e in follower.poll()] == [3]
    assert follower.status == "FAILED"


class FakeStepFunctions:
    def __init__(self, starts: list[datetime]) -> None:
        self.items = [
            {"executionArn": f"{ARN}{i}", "name": f"run-{i}", "status": "SUCCEEDED", "startDate": s}
            for i, s in enumerate(starts)
        ]
        self.pages = 0

    def list_executions(self, **kwargs: Any) -> dict[str, Any]:
        self.pages += 1
        start = int(kwargs.get("nextToken", 0))
        page = self.items[start : start + kwargs["maxResults"]]
        out: dict[str, Any] = {"executions": page}
        if start + kwargs["maxResults"] < len(self.items):
            out["nextToken"] = str(start + kwargs["maxResults"])
        return out

    def list_tags_for_resource(self, resourceArn: str) -> dict[str, Any]:  # noqa: N803
        return {"tags": [{"key": "orchestrator:flow", "value": "ETL"}]}


class FakeSession:
    region_name = "eu-west-1"

    def __init__(self, sfn: Any) -> None:
        self.sfn = sfn

    def client(self, service: str) -> Any:
        return self.sfn


def test_listing_stops_paging_at_the_start_of_the_window(monkeypatch: pytest.MonkeyPatch) -> None:
    from orchestrator.aws import executions

    monkeypatch.setattr(executions, "LIST_PAGE", 2)
    sfn = FakeStepFunctions([T0 - timedelta(hours=h) for h in range(10)])  # newest first
    alias = "arn:aws:states:eu-west-1:111122223333:stateMachine:proj-dev-ETLStateMachine-X:live"
    flow = DeployedFlow("ETL", alias)
    deployment = Deployment("dev", "proj-dev", FakeSession(sfn), {"ETL": flow})
    found = list_runs(deployment, [flow], since=T0 - timedelta(hours=2, minutes=30), limit=50)
    assert [s.name for s in found] == ["run-0", "run-1", "run-2"]
    assert {s.state_machine for s in found} == {"ETL"}
    assert sfn.pages == 2  # the second page held the first older execution: no third
    assert [s.name for s in list_runs(deployment, [flow], limit=3)] == ["run-0", "run-1", "run-2"]
    assert flow.state_machine_arn == alias.removesuffix(":live")
    assert flow.execution_arn("run-1") == ARN


def test_the_filter_pattern_selects_one_executions_lines() -> None:
    pattern = filter_pattern(ARN, "extract")
    assert pattern == f'{{ ($.correlation_id = "{ARN}") && ($.task = "extract") }}'
    evaluated = JsonFilterPattern(pattern)  # the harness's reading of the same syntax
    assert evaluated.matches(json.dumps({"correlation_id": ARN, "task": "extract", "x": 1}))
    assert not evaluated.matches(json.dumps({"correlation_id": ARN + "0", "task": "extract"}))
    assert not evaluated.matches(json.dumps({"correlation_id": ARN, "task": "load"}))
    assert not evaluated.matches(f"START RequestId: 1 {ARN}")
    assert filter_pattern('a"b\\c') == '{ ($.correlation_id = "a\\"b\\\\c") }'
    assert JsonFilterPattern(filter_pattern('a"b')).matches(json.dumps({"correlation_id": 'a"b'}))


def test_a_log_line_reads_as_task_attempt_level_message() -> None:
    fields = {"task": "shard", "map_index": 3, "attempt": 1, "level": "ERROR"}
    line = LogLine(T0, "fn", json.dumps({**fields, "message": "task failed", "exception": "Tb"}))
    local = T0.astimezone().strftime("%H:%M:%S.000")
    assert line.text() == f"{local} shard[3] attempt 2 ERROR task failed\nTb"
    assert LogLine(T0, "fn", "plain print\n").text() == f"{local} fn plain print"


def test_the_functions_a_definition_invokes_nested_ones_included() -> None:
    invoke = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke"}
    definition = {
        "StartAt": "P",
        "States": {
            "P": {
                "Type": "Parallel",
                "Branches": [
                    {
                        "StartAt": "a",
                        "States": {"a": {**invoke, "Parameters": {"FunctionName": "f:1"}}},
                    }
                ],
            },
            "M": {
                "Type": "Map",
                "ItemProcessor": {
                    "StartAt": "b",
                    "States": {"b": {"Type": "Task", "Resource": "arn:aws:lambda:r:1:function:g"}},
                },
            },
            "W": {"Type": "Wait", "Seconds": 1},
        },
    }
    assert functions_of(definition) == ["arn:aws:lambda:r:1:function:g", "f:1"]


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (
            ClientError(
                {"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "StartExecution"
            ),
            "starting ETL: access denied (no). Fix: use credentials whose policy allows "
            "states:StartExecution",
        ),
        (
            ClientError({"Error": {"Code": "ExpiredTokenException", "Message": "old"}}, "X"),
            "starting ETL: AWS rejected the credentials (ExpiredTokenException: old). Fix: refresh",
        ),
        (
            ClientError({"Error": {"Code": "ThrottlingException", "Message": "slow"}}, "X"),
            "starting ETL: throttled by AWS (slow). Fix: try again",
        ),
        (NoRegionError(), "starting ETL: no AWS region. Fix: pass --region"),
        (
            ClientError({"Error": {"Code": "InvalidName", "Message": "bad"}}, "X"),
            "starting ETL: InvalidName: bad",
        ),
    ],
)
def test_aws_errors_become_one_line_with_the_fix(raised: Exception, expected: str) -> None:
    with pytest.raises(AwsError) as caught, aws_calls("starting ETL", "states"):
        raise raised
    assert str(caught.value).startswith(expected)


def test_since_takes_a_duration_or_a_date() -> None:
    assert parse_since("30m", now=T0) == T0 - timedelta(minutes=30)
    assert parse_since("2w", now=T0) == T0 - timedelta(weeks=2)
    assert parse_since("2024-11-11T08:00+08:00") == T0
    assert parse_since("2024-11-11").tzinfo is not None
    with pytest.raises(ParameterError, match="neither a duration nor a date"):
        parse_since("soon")


@task
def double(n: int) -> int:
    return 2 * n


@flow(name="doubler")
def doubler(n: int = 2):
    return double(n)


class RecordingExecutor:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, dict[str, Any]]] = []

    def run_flow(self, flow: Any, params: dict[str, Any]) -> str:
        self.calls.append((flow, params))
        return "the remote run"


def test_run_hands_an_executor_the_flow_and_its_checked_parameters() -> None:
    executor = RecordingExecutor()
    assert doubler.run(executor=executor, n=3) == "the remote run"
    assert executor.calls == [(doubler, {"n": 3})]
    with pytest.raises(ParameterError, match="clock= and committed= apply to local runs"):
        doubler.run(executor=executor, clock="virtual")


def test_an_assigned_executor_runs_every_run_without_a_warning() -> None:
    executor = RecordingExecutor()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        doubler.executor = executor
    try:
        assert doubler.run() == "the remote run"
    finally:
        doubler.executor = None
    assert executor.calls == [(doubler, {})]


def test_a_prefect_executor_still_runs_the_flow_locally_with_a_warning() -> None:
    with pytest.warns(UserWarning, match="LocalDaskExecutor has no effect"):
        run = doubler.run(executor=LocalDaskExecutor(), clock="virtual")
    assert (run.state, run.result) == ("SUCCEEDED", 4)


def test_the_executors_stage_defaults_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ORCHESTRATOR_STAGE", "qa")
    assert repr(StepFunctionsExecutor()) == "StepFunctionsExecutor(stage='qa')"
    monkeypatch.delenv("ORCHESTRATOR_STAGE")
    assert StepFunctionsExecutor().stage == "dev"
    assert StepFunctionsExecutor("prod").stage == "prod"


def test_the_capture_keeps_an_invocations_output_and_lets_other_threads_write(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    capture = StdoutCapture()
    inside, go_on = threading.Event(), threading.Event()
    kept: list[str] = []

    def invocation() -> None:
        with capture.invocation() as buffer:
            print("from the function")
            inside.set()
            go_on.wait(5)
        kept.extend(buffer)

    worker = threading.Thread(target=invocation)
    worker.start()
    inside.wait(5)
    print("from the test")  # another thread, while the function runs
    go_on.set()
    worker.join()
    assert "".join(kept) == "from the function\n"
    assert out.getvalue() == "from the test\n"
    assert sys.stdout is out


def test_an_express_execution_is_refused_with_the_reason() -> None:
    from orchestrator.aws.executions import describe

    deployment = Deployment("dev", "proj-dev", FakeSession(None), {})
    express = "arn:aws:states:eu-west-1:111122223333:express:proj-dev-X:run-1:0a1b"
    with pytest.raises(AwsError, match="Express execution: Step Functions keeps no description"):
        describe(deployment, express)
