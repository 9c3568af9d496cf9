"""Run an ASL document in moto's Step Functions executor, with Python callables as its Lambdas.

moto 5 interprets ASL itself when started with ``execute_state_machine``; its docker-less Lambda
backend only echoes the payload, so the harness patches ``LambdaSimpleBackend.invoke`` to call a
Python handler in-process. A handler that raises produces exactly what Lambda returns for an
unhandled error (header ``x-amz-function-error: Unhandled`` and the error payload as the body), so
the state fails with ``Error`` = the exception's class name, as it would in AWS.

moto really sleeps on ``Retry`` intervals and ``Wait`` states; with ``record_sleeps=True`` those
sleeps are recorded in ``MotoRun.sleeps`` and skipped, so retry tests stay fast. Task
``TimeoutSeconds`` is left alone: it is measured by moto against the handler's real run time.

Per-state attempts are counted at each invocation (see ``MotoRun.attempts_by_state``).

The harness creates an S3 bucket for results (`MotoStepFunctions.results_bucket`): `deploy` puts
its name for ``${ResultsBucketName}``, and the in-process handlers see it as
ORCHESTRATOR_RESULTS_BUCKET. A Distributed Map's ResultWriter writes there what AWS writes
(manifest.json and SUCCEEDED_0.json / FAILED_0.json, WriterConfig honoured), where moto itself
writes an empty manifest; ItemReader reads it back.

moto quirks handled here: DescribeExecution returns a string output unencoded and cannot encode a
datetime taken from the context object, so outputs are read from the history's final event. The
Distributed Map patches (ResultWriter files, WriterConfig and integer ToleratedFailurePercentage
accepted, no recursion limit on a map run's items) say which documented behaviour each restores.
Known departures of moto from the AWS documentation are recorded, case by case, in
``tests/conformance/machines/*.json`` (``moto_differs``).

Usage::

    with MotoStepFunctions(record_sleeps=True) as sfn:
        sm = sfn.deploy(definition, {"CleanFunctionArn": clean})
        run = sfn.execute(sm, {"n": 3})
        assert run.status == "SUCCEEDED"
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import os
import sys
import threading
import time
import uuid
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from unittest import mock

from orchestrator.contract import (
    LOCAL_ACCOUNT,
    LOCAL_REGION,
    PLACEHOLDER,
    RESULTS_BUCKET_ENV,
    RESULTS_BUCKET_SUBSTITUTION,
)
from orchestrator.engine.history import HistoryEvent, attempts_by_state
from orchestrator.runtime.error_payload import error_payload

__all__ = ["MotoRun", "MotoStepFunctions", "StateMachine", "PLACEHOLDER", "RESULTS_BUCKET"]

# moto's default account and the local engine's: ARNs agree between the two.
REGION = LOCAL_REGION
ACCOUNT_ID = LOCAL_ACCOUNT
ROLE_NAME = "orchestrator-test-role"
#: The results bucket the harness creates: `${ResultsBucketName}` in a deployed ASL, and
#: ORCHESTRATOR_RESULTS_BUCKET for the in-process task handlers.
RESULTS_BUCKET = "orchestrator-moto-results"

#: A SAM ``DefinitionSubstitutions`` placeholder, e.g. ``${CleanFunctionArn}``.

Handler = Callable[[Any], Any]

# Modules of moto's ASL interpreter whose waits we replace. Imported lazily: importing them pulls
# in the ANTLR parser, which is slow and not needed by users of `PLACEHOLDER` alone.
_RETRIER_MODULE = "moto.stepfunctions.parser.asl.component.common.retry.retrier_decl"
_WAIT_FUNCTION = (
    "moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function.WaitFunction"
)
_LAMBDA_INVOKE = "moto.awslambda_simple.models.LambdaSimpleBackend.invoke"

_TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}
_TERMINAL_EVENTS = {
    "ExecutionSucceeded": "SUCCEEDED",
    "ExecutionFailed": "FAILED",
    "ExecutionTimedOut": "TIMED_OUT",
    "ExecutionAborted": "ABORTED",
}


@dataclass(frozen=True)
class StateMachine:
    """A deployed state machine: its ARN, name and the substituted definition."""

    arn: str
    name: str
    definition: dict[str, Any]
    functions: dict[str, str]  # placeholder / function key -> Lambda ARN


@dataclass
class MotoRun:
    """The outcome of one execution in moto."""

    status: str
    output: Any
    error: str | None
    cause: str | None
    events: list[dict[str, Any]]
    invocations: list[tuple[str, Any]] = field(default_factory=list)
    sleeps: list[float] = field(default_factory=list)
    #: The Task state that made each invocation, parallel to ``invocations``.
    invocation_states: list[str | None] = field(default_factory=list)
    #: For a run of a flow (`orchestrator.testing.flows.run_flow_in_moto`), what `flow.run()`
    #: reports too: the flow's name, its result and one TaskRun per task.
    flow: str | None = None
    result: Any = None
    task_runs: dict[str, Any] = field(default_factory=dict)

    @property
    def state(self) -> str:
        """The execution's status, by `FlowRun`'s name for it."""
        return self.status

    @property
    def succeeded(self) -> bool:
        return self.status == "SUCCEEDED"

    def attempts_by_state(self) -> dict[str, int]:
        """Lambda invocations per Task state name, summed over retries and Map iterations.

        Counted where the invocation happens: the patched Lambda backend runs on the thread of
        the Task state that called it, and finds that state on the call stack. Neither the
        history nor the payload would do for every case: a Distributed Map's iterations run as
        child executions whose events are not in the parent's history (as in AWS), and payloads
        need not name their state.
        """
        return dict(Counter(s for s in self.invocation_states if s is not None))

    def attempts_from_history(self) -> dict[str, int]:
        """Like `attempts_by_state`, read from this execution's own history events, by the rule
        the local engine's runs are read by (`orchestrator.engine.history.StateAttribution`).
        Distributed Map iterations are child executions: their attempts are not in this history.
        """
        return attempts_by_state([history_event(e) for e in self.events])

    def invocations_by_function(self) -> dict[str, int]:
        """Number of invocations per function key."""
        return dict(Counter(name for name, _ in self.invocations))


def history_event(event: dict[str, Any]) -> HistoryEvent:
    """A `GetExecutionHistory` event as the engine's `HistoryEvent` (details flattened)."""
    details: dict[str, Any] = next((v for k, v in event.items() if k.endswith("EventDetails")), {})
    return HistoryEvent(
        id=event["id"],
        previous_event_id=event.get("previousEventId", 0),
        timestamp=event["timestamp"],
        type=event["type"],
        details=dict(details),
    )


def _calling_state() -> str | None:
    """The name of the moto Task state whose evaluation is calling Lambda right now.

    moto invokes Lambda synchronously (through boto3 and its own request handler) on the thread
    that evaluates the Task state, including the helper thread it starts for TimeoutSeconds, so
    the state object is a `self` further up this thread's stack.
    """
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task import StateTask

    frame = sys._getframe(1)
    while frame is not None:
        candidate = frame.f_locals.get("self")
        if isinstance(candidate, StateTask):
            return str(candidate.name)
        frame = frame.f_back  # type: ignore[assignment]
    return None


_BUCKET_PERMISSION = "moto.s3.models.FakeBucket.get_permission"


def _bucket_permission(bucket: Any, action: str, resource: str) -> Any:
    """A bucket policy's verdict as S3 gives it to a TLS request (as boto3 makes them).

    moto passes no `aws:SecureTransport` and ignores a `Bool` condition (its evaluator knows only
    `StringEquals`), so the results bucket's "deny insecure transport" statement denied every
    request. Here a statement whose `Bool`/`StringEquals` condition does not hold does not apply.
    """
    from moto.iam.access_control import IAMPolicyStatement, PermissionResult

    if bucket.policy is None:
        return PermissionResult.NEUTRAL
    context = {"aws:SecureTransport": "true"}
    document = json.loads(bucket.policy.decode())
    statements = document["Statement"]
    verdict = PermissionResult.NEUTRAL
    for raw in statements if isinstance(statements, list) else [statements]:
        if not _condition_holds(raw.get("Condition", {}), context):
            continue
        unconditional = {k: v for k, v in raw.items() if k != "Condition"}
        result = IAMPolicyStatement(unconditional).is_action_permitted(action, resource)
        if result == PermissionResult.DENIED:
            return result
        if result == PermissionResult.PERMITTED:
            verdict = result
    return verdict


def _condition_holds(condition: dict[str, Any], context: dict[str, str]) -> bool:
    """IAM's `Bool` and `StringEquals` operators (a key the request lacks does not match)."""
    for operator, pairs in condition.items():
        for key, expected in pairs.items():
            wanted = [str(v) for v in (expected if isinstance(expected, list) else [expected])]
            actual = context.get(key)
            if operator == "Bool":
                if actual is None or actual.lower() not in [w.lower() for w in wanted]:
                    return False
            elif operator == "StringEquals" and actual not in wanted:
                return False
    return True


# -- Distributed Map results (ResultWriter) ----------------------------------------------------
#
# moto 5.2.5 runs a Distributed Map's children in-process but keeps no record of them, and its
# ResultWriter (`ResourceEvalS3._handle_put_object`) writes only a manifest whose `ResultFiles`
# are empty ("TODO: generate result files"). The ResultWriter page of the Step Functions
# developer guide says what AWS writes instead: "Step Functions consolidates all child workflow
# execution data, such as execution input and output, ARN, and execution status. It then exports
# executions with the same status to their respective files in the specified Amazon S3
# location": `manifest.json` plus `SUCCEEDED_n.json`, `FAILED_n.json` ("all failed, timed out,
# and aborted child workflow executions") and `PENDING_n.json`. The patches below record each
# child as moto runs it and write those files.

_STATE_MAP = "moto.stepfunctions.parser.asl.component.state.exec.state_map"
_MAP_WORKER = f"{_STATE_MAP}.iteration.itemprocessor.distributed_item_processor_worker"
_MAP_COMPONENT = f"{_STATE_MAP}.iteration.distributed_iteration_component"
_RESULT_WRITER_S3 = f"{_STATE_MAP}.result_writer.resource_eval.resource_eval_s3"
_ASL_PARSER = "moto.stepfunctions.parser.asl.parse.asl_parser"

_S3_PUT_OBJECT = "arn:aws:states:::s3:putObject"
#: Where `_for_moto_parser` puts a ResultWriter's WriterConfig for moto (whose parser rejects
#: the field): among the writer's Parameters/Arguments, which moto evaluates and hands to the
#: writer, `_write_map_results`, which takes it out again.
_WRITER_CONFIG_KEY = "WriterConfig"
#: The attribute of moto's MapRunRecord that holds this harness's `_Child` records, by item index.
_CHILDREN = "orchestrator_children"
#: The map run whose Map state is being evaluated on this thread: moto's writer takes the last
#: map run of the execution instead, which is another one when maps run side by side.
_current = threading.local()
#: A child record's file, by the child's status (ResultWriter page: FAILED_n.json "contains the
#: consolidated data for all failed, timed out, and aborted child workflow executions").
_RESULT_FILE = {
    "SUCCEEDED": "SUCCEEDED",
    "FAILED": "FAILED",
    "TIMED_OUT": "FAILED",
    "ABORTED": "FAILED",
    "PENDING": "PENDING",
}


@dataclass
class _Child:
    """One child workflow execution of a Distributed Map, as moto ran it."""

    index: int
    input: Any
    start: datetime
    stop: datetime | None = None
    status: str = "RUNNING"
    output: Any = None
    error: str | None = None
    cause: str | None = None


def _compact(value: Any) -> str:
    # As Step Functions serialises an execution's input and output (ResultWriter page: "Output":
    # "[{\"customer_id\":\"145538\",...}]").
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _timestamp(moment: datetime | None) -> str:
    # "StartDate": "2025-02-04T01:49:50.099Z" (ResultWriter page).
    moment = (moment or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _child_record(child: _Child, map_run: Any) -> dict[str, Any]:
    """A child as the NONE transformation exports it, keys in the order AWS writes them.

    The ResultWriter page shows a SUCCEEDED record (ExecutionArn, Input, InputDetails, Name,
    Output, OutputDetails, RedriveCount, RedriveStatus "NOT_REDRIVABLE", RedriveStatusReason
    "Execution is SUCCEEDED and cannot be redriven", StartDate, StateMachineArn, Status,
    StopDate). It shows no failed one; a FAILED_0.json written by AWS (eu-west-2, kept as a test
    fixture in department-for-transport-BODS/bods-backend) has Cause and Error first, no Output,
    "OutputDetails": {"Included": true}, "RedriveStatus": "REDRIVABLE_BY_MAP_RUN" and no
    RedriveStatusReason. AWS names children with version-3 UUIDs ("da4e9fc7-abab-3b27-..."):
    here one derived from the map run and the item index, so names are stable within a run.
    """
    name = str(uuid.uuid3(uuid.NAMESPACE_URL, f"{map_run.map_run_arn}/{child.index}"))
    machine = str(map_run.map_state_machine_arn)  # <parent state machine ARN>/<label or id>
    succeeded = child.status == "SUCCEEDED"
    record: dict[str, Any] = {}
    if not succeeded:
        if child.cause is not None:
            record["Cause"] = child.cause
        if child.error is not None:
            record["Error"] = child.error
    record["ExecutionArn"] = machine.replace(":stateMachine:", ":execution:", 1) + f":{name}"
    record["Input"] = _compact(child.input)
    record["InputDetails"] = {"Included": True}
    record["Name"] = name
    if succeeded:
        record["Output"] = _compact(child.output)
    record["OutputDetails"] = {"Included": True}
    record["RedriveCount"] = 0
    if succeeded:
        record["RedriveStatus"] = "NOT_REDRIVABLE"
        record["RedriveStatusReason"] = "Execution is SUCCEEDED and cannot be redriven"
    else:
        record["RedriveStatus"] = "REDRIVABLE_BY_MAP_RUN"
    record["StartDate"] = _timestamp(child.start)
    record["StateMachineArn"] = machine
    record["Status"] = child.status
    record["StopDate"] = _timestamp(child.stop)
    return record


def _transformed(children: list[_Child], map_run: Any, transformation: str) -> dict[str, list[Any]]:
    """The entries of each result file, in item order, under WriterConfig's Transformation.

    ResultWriter page: NONE "returns the output of the child workflow executions unchanged, in
    addition to the workflow metadata"; COMPACT "returns the output of the child workflow
    executions"; FLATTEN also "flattens the array" a child returns; and "If a child workflow
    execution fails, Step Functions returns its execution result unchanged. The results would
    be equivalent to having set Transformation to NONE."
    """
    files: dict[str, list[Any]] = {"SUCCEEDED": [], "FAILED": [], "PENDING": []}
    for child in children:
        entries = files[_RESULT_FILE.get(child.status, "FAILED")]
        if child.status != "SUCCEEDED" or transformation == "NONE":
            entries.append(_child_record(child, map_run))
        elif transformation == "FLATTEN" and isinstance(child.output, list):
            entries.extend(child.output)
        else:
            entries.append(child.output)
    return files


def _encode(entries: list[Any], output_type: str) -> bytes:
    # OutputType: "JSON - formats the results as a JSON array. JSONL - formats the results as
    # JSON Lines." The page names the files `SUCCEEDED_n.json` whatever the type.
    if output_type == "JSONL":
        return "".join(_compact(entry) + "\n" for entry in entries).encode("utf-8")
    return json.dumps(entries, ensure_ascii=False).encode("utf-8")


def _write_map_results(env: Any, resource_runtime_part: Any, state_credentials: Any) -> None:
    """What AWS's ResultWriter does with a map run (replaces moto's `_handle_put_object`).

    With a Bucket: "SUCCEEDED_n.json", "FAILED_n.json" and "PENDING_n.json" (each only when it
    holds an execution) and `manifest.json` under `<Prefix>/<map run id>/`, the manifest listing
    them as {"Key", "Size"}; the state's result is {"MapRunArn", "ResultWriterDetails":
    {"Bucket", "Key"}} as in moto. Without one (a WriterConfig alone: "to preview the formatted
    output, without saving the results to Amazon S3"), the transformed results are the result.
    One file per status: AWS starts a second only past 5 GB. PENDING_0.json (children "that
    weren't started because the Map Run failed or aborted") is never written: moto runs every
    item, and no ResultWriter runs after a map run that failed.
    """
    import importlib

    from moto.stepfunctions.parser.api import HistoryEventType, MapRunFailedEventDetails
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import (
        StatesErrorName,
    )
    from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
        StatesErrorNameType,
    )

    parameters = dict(env.stack.pop())
    env.stack.pop()  # moto's list of the children's outputs (None for a failed one)
    map_run = getattr(_current, "map_run", None) or env.map_run_record_pool_manager.get_all()[-1]
    _current.map_run = None
    records: dict[int, _Child] = getattr(map_run, _CHILDREN, {})
    children = [records[i] for i in sorted(records)]
    config = parameters.pop(_WRITER_CONFIG_KEY, None) or {}
    bucket = parameters.get("Bucket")
    # "NONE - ... Default when exporting the child workflow execution results to Amazon S3 and
    # WriterConfig is not specified. COMPACT - ... Default when ResultWriter is not specified."
    transformation = str(config.get("Transformation", "NONE" if bucket else "COMPACT"))
    files = _transformed(children, map_run, transformation)
    if not bucket:
        env.stack.append([entry for child_file in files.values() for entry in child_file])
        return

    prefix = str(parameters.get("Prefix", ""))
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    folder = f"{prefix}{str(map_run.map_run_arn).rsplit(':', 1)[-1]}/"
    writer = importlib.import_module(_RESULT_WRITER_S3).ResourceEvalS3
    s3 = writer._get_s3_client(
        resource_runtime_part=resource_runtime_part, state_credentials=state_credentials
    )
    manifest: dict[str, Any] = {
        "DestinationBucket": bucket,
        "MapRunArn": map_run.map_run_arn,
        "ResultFiles": {"FAILED": [], "PENDING": [], "SUCCEEDED": []},
    }
    key = f"{folder}manifest.json"
    try:
        for status in ("SUCCEEDED", "FAILED", "PENDING"):
            if not files[status]:
                continue
            body = _encode(files[status], str(config.get("OutputType", "JSON")))
            file_key = f"{folder}{status}_0.json"
            s3.put_object(Bucket=bucket, Key=file_key, Body=body)
            manifest["ResultFiles"][status].append({"Key": file_key, "Size": len(body)})
        s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(manifest).encode("utf-8"))
    except Exception as err:
        # ResultWriter page: a bucket Step Functions cannot write fails the execution "with the
        # States.ResultWriterFailed error" (moto let the S3 client's own error through).
        error_name = StatesErrorName(typ=StatesErrorNameType.StatesResultWriterFailed)
        details: Any = {
            "mapRunFailedEventDetails": MapRunFailedEventDetails(
                error=error_name.error_name, cause=str(err)
            )
        }
        raise FailureEventException(
            failure_event=FailureEvent(
                env=env,
                error_name=error_name,
                event_type=HistoryEventType.TaskFailed,
                event_details=details,
            )
        ) from err
    env.stack.append(
        {"MapRunArn": map_run.map_run_arn, "ResultWriterDetails": {"Bucket": bucket, "Key": key}}
    )


def _for_moto_parser(definition: str) -> str:
    """`definition` as moto's ASL parser accepts it, where its grammar is narrower than AWS's.

    * moto's grammar knows only Resource and Parameters in a ResultWriter and rejects
      WriterConfig (ASLParserException "mismatched input '"WriterConfig"'"), which the
      ResultWriter page documents. The config goes into the writer's Parameters (Arguments under
      JSONata), with the putObject Resource moto requires when the writer had none (the
      "WriterConfig only" preview), for `_write_map_results` to honour.
    * moto's grammar takes ToleratedFailurePercentage only as a decimal (50.0) and rejects an
      integer ("no viable alternative at input '"ToleratedFailurePercentage":100'"); the Distributed
      Map's tolerated-failure page: "You must specify a value between zero and 100 ... If you
      specify the percentage as 100, the workflow won't fail even if all child workflow
      executions fail." An integer becomes the same number as a decimal.

    Only the copy moto parses changes: DescribeStateMachine returns the definition as created.
    """
    if '"WriterConfig"' not in definition and '"ToleratedFailurePercentage"' not in definition:
        return definition
    try:
        document = json.loads(definition)
    except ValueError:
        return definition  # let moto's parser report it
    _rewrite(document, jsonata=False)
    return json.dumps(document)


def _rewrite(node: Any, jsonata: bool) -> None:
    if isinstance(node, list):
        for item in node:
            _rewrite(item, jsonata)
        return
    if not isinstance(node, dict):
        return
    if node.get("QueryLanguage") in ("JSONata", "JSONPath"):
        jsonata = node["QueryLanguage"] == "JSONata"
    writer = node.get("ResultWriter")
    if node.get("Type") == "Map" and isinstance(writer, dict):
        config = writer.get(_WRITER_CONFIG_KEY)
        field_name = "Arguments" if "Arguments" in writer or jsonata else "Parameters"
        arguments = writer.get(field_name, {})
        if isinstance(config, dict) and isinstance(arguments, dict):
            writer[field_name] = {**arguments, _WRITER_CONFIG_KEY: writer.pop(_WRITER_CONFIG_KEY)}
            writer.setdefault("Resource", _S3_PUT_OBJECT)
    tolerated = node.get("ToleratedFailurePercentage")
    if node.get("Type") == "Map" and type(tolerated) is int:
        node["ToleratedFailurePercentage"] = float(tolerated)
    for value in node.values():
        _rewrite(value, jsonata)


def _map_result_patches() -> list[Any]:
    """The patches that record each child of a Distributed Map and write its results like AWS."""
    import importlib

    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.eval.program_state import (
        ProgramEnded,
        ProgramError,
        ProgramStopped,
        ProgramTimedOut,
    )

    worker = importlib.import_module(_MAP_WORKER).DistributedItemProcessorWorker
    component = importlib.import_module(_MAP_COMPONENT).DistributedIterationComponent
    writer = importlib.import_module(_RESULT_WRITER_S3).ResourceEvalS3
    parser = importlib.import_module(_ASL_PARSER).AmazonStateLanguageParser
    moto_parse, moto_eval_body = parser.parse, component._eval_body
    moto_eval_input, moto_eval_job = worker._eval_input, worker._eval_job

    def parse(definition: str) -> Any:
        return moto_parse(_for_moto_parser(definition))

    def eval_body(self: Any, env: Any) -> None:
        # The map run starts: its children are recorded on moto's own record of it.
        map_run = env.stack[-1].map_run_record
        setattr(map_run, _CHILDREN, {})
        moto_eval_body(self, env)
        _current.map_run = map_run

    def eval_job(self: Any, env: Any, job: Any) -> None:
        child = _Child(index=job.job_index, input=job.job_input, start=datetime.now(UTC))
        getattr(self._map_run_record, _CHILDREN, {})[job.job_index] = child
        env.orchestrator_child = child
        moto_eval_job(self, env, job)
        child.stop = datetime.now(UTC)
        state = env.program_state()
        if isinstance(state, ProgramEnded):
            child.status, child.output = "SUCCEEDED", job.job_output
        elif isinstance(state, ProgramError):
            details = state.error or {}
            child.status = "FAILED"
            child.error, child.cause = details.get("error"), details.get("cause")
        elif isinstance(state, ProgramStopped):
            child.status, child.error, child.cause = "ABORTED", state.error, state.cause
        elif isinstance(state, ProgramTimedOut):
            child.status = "TIMED_OUT"
        else:  # the ItemSelector failed (recorded by eval_input), or moto did
            child.status = "FAILED"

    def eval_input(self: Any, env_frame: Any) -> None:
        # The child's input is the item after ItemSelector (or Parameters).
        child: _Child | None = getattr(env_frame, "orchestrator_child", None)
        try:
            moto_eval_input(self, env_frame)
        except FailureEventException as failure:
            if child is not None:
                child.error, child.cause = failure.extract_error_cause_pair() or (None, None)
            raise
        if child is not None:
            child.input = env_frame.states.get_input()

    def eval_pool(self: Any, job: Any, worker_frame: Any) -> None:
        # moto's `_eval_pool` calls itself once per item a worker runs, so a worker with more than
        # a few hundred items (MaxConcurrency 1 and 2,000 items) dies of RecursionError and the
        # Map never ends; AWS has no such limit. The same steps, as a loop.
        while True:
            if job is None:
                self._env.delete_frame(worker_frame)
                return
            job_frame = worker_frame.open_inner_frame()
            self._eval_job(env=job_frame, job=job)
            worker_frame.delete_frame(job_frame)
            if isinstance(job.job_output, Exception) or self.stopped():
                self._env.delete_frame(worker_frame)
                self._job_pool.close_job(job)
                return
            next_job = self._job_pool.next_job()
            if next_job is None:
                self._env.delete_frame(worker_frame)
                self._job_pool.close_job(job)
                return
            self._job_pool.close_job(job)
            job = next_job

    return [
        mock.patch.object(parser, "parse", staticmethod(parse)),
        mock.patch.object(component, "_eval_body", eval_body),
        mock.patch.object(worker, "_eval_job", eval_job),
        mock.patch.object(worker, "_eval_input", eval_input),
        mock.patch.object(worker, "_eval_pool", eval_pool),
        mock.patch.object(writer, "_handle_put_object", staticmethod(_write_map_results)),
    ]


def _zip_stub() -> bytes:
    # Lambda wants a deployment package; the code never runs because `invoke` is patched.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("handler.py", "def handler(event, context):\n    return event\n")
    return buf.getvalue()


class MotoStepFunctions:
    """A moto account with Step Functions executing ASL and Lambdas backed by Python callables.

    One instance can deploy and execute many state machines; sharing it across a test module
    avoids paying moto's start-up for every case.
    """

    def __init__(self, record_sleeps: bool = True, poll_interval: float = 0.01) -> None:
        self.record_sleeps = record_sleeps
        self.poll_interval = poll_interval
        self._handlers: dict[str, Handler] = {}  # Lambda function name -> handler
        self._lock = threading.Lock()
        # In-process invocations running now, and the results-bucket variable they replaced
        # (see `_handler_environment`).
        self._env_lock = threading.Lock()
        self._in_flight = 0
        self._replaced_bucket_env: str | None = None
        # Invocations and sleeps since the current `execute` started (moto runs one execution
        # at a time per harness here, so a single buffer is enough).
        self._invocations: list[tuple[str, Any]] = []
        self._invocation_states: list[str | None] = []
        self._sleeps: list[float] = []
        self._names: set[str] = set()
        self._counter = itertools.count(1)
        self._stack: list[Any] = []
        self._role_arn = ""
        self._zip = _zip_stub()
        self.sfn: Any = None
        self.lambda_: Any = None

    # -- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> MotoStepFunctions:
        import boto3
        from moto import mock_aws

        env = mock.patch.dict(
            os.environ,
            {
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_SECURITY_TOKEN": "testing",
                "AWS_SESSION_TOKEN": "testing",
                "AWS_DEFAULT_REGION": REGION,
            },
        )
        patches: list[Any] = [
            env,
            mock_aws(
                config={
                    "stepfunctions": {"execute_state_machine": True},
                    "lambda": {"use_docker": False},
                }
            ),
            mock.patch(_LAMBDA_INVOKE, self._make_invoke()),
            mock.patch(_BUCKET_PERMISSION, _bucket_permission),
            *_map_result_patches(),
        ]
        if self.record_sleeps:
            import importlib

            retrier = importlib.import_module(_RETRIER_MODULE)
            # The retrier calls `time.sleep` through its module's `time` name; replacing only
            # that name keeps every other sleep (moto's pollers, handlers) real.
            fake_time = mock.Mock(wraps=time)
            fake_time.sleep = self._record_sleep
            patches.append(mock.patch.object(retrier, "time", fake_time))
            patches.append(mock.patch(f"{_WAIT_FUNCTION}._wait_interval", self._make_wait()))
        try:
            for p in patches:
                p.start()
                self._stack.append(p)
        except BaseException:
            self._stop()
            raise
        self.sfn = boto3.client("stepfunctions", region_name=REGION)
        self.lambda_ = boto3.client("lambda", region_name=REGION)
        boto3.client("s3", region_name=REGION).create_bucket(Bucket=RESULTS_BUCKET)
        iam = boto3.client("iam", region_name=REGION)
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": ["lambda.amazonaws.com", "states.amazonaws.com"]},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
        role = iam.create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument=json.dumps(trust))
        self._role_arn = role["Role"]["Arn"]
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop()

    def _stop(self) -> None:
        while self._stack:
            self._stack.pop().stop()

    # -- patches ---------------------------------------------------------------------------

    def _record_sleep(self, seconds: float) -> None:
        with self._lock:
            self._sleeps.append(float(seconds))

    def _make_wait(self) -> Callable[..., None]:
        harness = self

        def _wait_interval(_self: Any, env: Any, wait_seconds: int) -> None:
            # A Wait state: record how long AWS would wait instead of blocking.
            if wait_seconds > 0:
                harness._record_sleep(wait_seconds)

        return _wait_interval

    @contextlib.contextmanager
    def _handler_environment(self) -> Iterator[None]:
        """ORCHESTRATOR_RESULTS_BUCKET = `results_bucket` while any in-process handler runs.

        The handlers offload large results to the moto bucket and read them from it, as deployed
        functions do with the results bucket. The variable is set around invocations only, not
        for the whole harness: a local run in the same process (tests compare `flow.run()` with
        a moto run) must keep its local result store, which an ORCHESTRATOR_RESULTS_BUCKET in
        the environment would replace. moto runs invocations on several threads at once, so the
        first one in sets it and the last one out restores it.
        """
        with self._env_lock:
            if self._in_flight == 0:
                self._replaced_bucket_env = os.environ.get(RESULTS_BUCKET_ENV)
                os.environ[RESULTS_BUCKET_ENV] = RESULTS_BUCKET
            self._in_flight += 1
        try:
            yield
        finally:
            with self._env_lock:
                self._in_flight -= 1
                if self._in_flight == 0:
                    if self._replaced_bucket_env is None:
                        os.environ.pop(RESULTS_BUCKET_ENV, None)
                    else:
                        os.environ[RESULTS_BUCKET_ENV] = self._replaced_bucket_env

    def _make_invoke(self) -> Callable[..., bytes | None]:
        harness = self

        def invoke(
            _backend: Any,
            function_name: str,
            qualifier: str | None,
            body: Any,
            headers: Any,
            response_headers: dict[str, str],
        ) -> bytes | None:
            # moto passes the name as the caller gave it: a plain name or a full ARN.
            name = function_name.split(":function:", 1)[-1].split(":", 1)[0]
            handler = harness._handlers.get(name)
            if handler is None:
                return None  # moto's responses turn this into a 404
            raw = body.decode("utf-8") if isinstance(body, bytes) else body
            event = json.loads(raw) if raw else None
            state = _calling_state()
            with harness._lock:
                harness._invocations.append((name, event))
                harness._invocation_states.append(state)
            try:
                with harness._handler_environment():
                    result = handler(event)
            except Exception as exc:  # every handler failure is Lambda's "Unhandled"
                response_headers["x-amz-function-error"] = "Unhandled"
                return json.dumps(error_payload(exc)).encode("utf-8")
            return json.dumps(result).encode("utf-8")

        return invoke

    # -- API -------------------------------------------------------------------------------

    @property
    def results_bucket(self) -> str:
        """The S3 bucket this harness creates for results: what `deploy` puts for
        ``${ResultsBucketName}`` (a Distributed Map's ResultWriter and ItemReader) and what the
        in-process handlers see as ORCHESTRATOR_RESULTS_BUCKET."""
        return RESULTS_BUCKET

    @property
    def role_arn(self) -> str:
        """The IAM role this harness creates and gives its own functions and state machines."""
        return self._role_arn

    def register_handler(self, function_name: str, handler: Handler) -> None:
        """Run `handler` whenever the Lambda function `function_name` is invoked.

        For functions this harness did not create itself, e.g. those a CloudFormation stack in
        the same moto account created (`orchestrator.testing.stack`). The handler gets the
        decoded payload; what it returns or raises becomes the invocation's response, as for
        `deploy`'s functions.
        """
        self._handlers[function_name] = handler

    def deploy(
        self,
        definition: dict[str, Any],
        functions: dict[str, Handler],
        name: str = "test",
    ) -> StateMachine:
        """Create one Lambda per ``functions`` key and a state machine running ``definition``.

        A key is either a placeholder name (``CleanFunctionArn`` for ``${CleanFunctionArn}``) or a
        plain function name used verbatim in the ASL; every ``${Key}`` is replaced by the ARN of
        that key's Lambda, except ``${ResultsBucketName}``, which is `results_bucket`. A
        placeholder with no function raises ``ValueError``. A name already used in this harness
        gets a numeric suffix, so cases can share one moto account.
        """
        text = json.dumps(definition)
        missing = sorted(
            set(PLACEHOLDER.findall(text)) - set(functions) - {RESULTS_BUCKET_SUBSTITUTION}
        )
        if missing:
            raise ValueError(f"no function for placeholder(s): {', '.join(missing)}")
        arns: dict[str, str] = {}
        for key, handler in functions.items():
            self._handlers[key] = handler
            arns[key] = self._ensure_function(key)
        substitutions = {**arns, RESULTS_BUCKET_SUBSTITUTION: self.results_bucket}
        text = PLACEHOLDER.sub(lambda m: substitutions[m.group(1)], text)
        sm_name = name
        while sm_name in self._names:
            sm_name = f"{name}-{next(self._counter)}"
        self._names.add(sm_name)
        resp = self.sfn.create_state_machine(
            name=sm_name, definition=text, roleArn=self._role_arn, type="STANDARD"
        )
        return StateMachine(resp["stateMachineArn"], sm_name, json.loads(text), arns)

    def _ensure_function(self, name: str) -> str:
        try:
            return str(self.lambda_.get_function(FunctionName=name)["Configuration"]["FunctionArn"])
        except self.lambda_.exceptions.ResourceNotFoundException:
            pass
        resp = self.lambda_.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=self._role_arn,
            Handler="handler.handler",
            Code={"ZipFile": self._zip},
            Timeout=900,
        )
        return str(resp["FunctionArn"])

    def _history(self, exec_arn: str) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"executionArn": exec_arn, "maxResults": 1000}
        while True:
            page = self.sfn.get_execution_history(**kwargs)
            events.extend(page["events"])
            if not page.get("nextToken"):
                return events
            kwargs["nextToken"] = page["nextToken"]

    def _status(self, exec_arn: str) -> str:
        try:
            return str(self.sfn.describe_execution(executionArn=exec_arn)["status"])
        except TypeError:
            # moto's DescribeExecution cannot serialise an output holding a datetime (from
            # $$.Execution.StartTime or $$.State.EnteredTime); the history can, so read the
            # terminal event there.
            last = self._history(exec_arn)[-1]["type"]
            return _TERMINAL_EVENTS.get(last, "RUNNING")

    def _describe(self, exec_arn: str, events: list[dict[str, Any]]) -> dict[str, Any]:
        try:
            return dict(self.sfn.describe_execution(executionArn=exec_arn))
        except TypeError:  # see `_status`
            details = events[-1].get("executionFailedEventDetails", {})
            return {"error": details.get("error"), "cause": details.get("cause")}

    @staticmethod
    def _output(desc: dict[str, Any], events: list[dict[str, Any]]) -> Any:
        # moto's DescribeExecution returns a string output unencoded (`Y` for the JSON string
        # "Y"), so a string result is indistinguishable from a document. The history's
        # ExecutionSucceeded event carries the output JSON-encoded, as AWS does; prefer it.
        for event in reversed(events):
            details = event.get("executionSucceededEventDetails")
            if details is not None and "output" in details:
                return json.loads(details["output"])
        raw = desc.get("output")
        if raw is None:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            return raw

    def execute(self, sm: StateMachine | str, input: Any = None, timeout: float = 60) -> MotoRun:
        """Start an execution, wait for it to end, and return its outcome and history."""
        arn = sm.arn if isinstance(sm, StateMachine) else sm
        with self._lock:
            self._invocations = []
            self._invocation_states = []
            self._sleeps = []
        start = self.sfn.start_execution(
            stateMachineArn=arn,
            name=f"run-{next(self._counter)}",
            input=json.dumps({} if input is None else input),
        )
        exec_arn = start["executionArn"]
        deadline = time.monotonic() + timeout
        while True:
            status = self._status(exec_arn)
            if status in _TERMINAL:
                break
            if time.monotonic() > deadline:
                self.sfn.stop_execution(executionArn=exec_arn)
                raise TimeoutError(f"execution {exec_arn} still {status} after {timeout}s")
            time.sleep(self.poll_interval)
        events = self._history(exec_arn)
        desc = self._describe(exec_arn, events)
        output = self._output(desc, events)
        with self._lock:
            invocations, sleeps = list(self._invocations), list(self._sleeps)
            states = list(self._invocation_states)
        return MotoRun(
            status=status,
            output=output,
            error=desc.get("error"),
            cause=desc.get("cause"),
            events=events,
            invocations=invocations,
            sleeps=sleeps,
            invocation_states=states,
        )
