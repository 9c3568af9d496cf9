"""moto's Distributed Map, made to export and read results as AWS does.

Patches for `orchestrator.testing.moto.MotoStepFunctions` (started and stopped with it), each
saying which documented behaviour it restores: ResultWriter's result files, WriterConfig, an
ItemReader listing objects (an empty listing, Transformation LOAD_AND_FLATTEN), an integer
ToleratedFailurePercentage, and no recursion limit on a map run's items.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from unittest import mock

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
_ITEM_READER_S3 = f"{_STATE_MAP}.item_reader.eval.resource_eval_s3"
_ASL_PARSER = "moto.stepfunctions.parser.asl.parse.asl_parser"

_S3_PUT_OBJECT = "arn:aws:states:::s3:putObject"
#: Where `_for_moto_parser` puts a ResultWriter's WriterConfig for moto (whose parser rejects
#: the field): among the writer's Parameters/Arguments, which moto evaluates and hands to the
#: writer, `_write_map_results`, which takes it out again.
_WRITER_CONFIG_KEY = "WriterConfig"
#: Where `_for_moto_parser` puts an ItemReader's ReaderConfig.Transformation for moto (whose
#: grammar does not know it): among the reader's Parameters/Arguments, which moto evaluates and
#: hands to `_list_objects`, which takes it out again.
_TRANSFORMATION_KEY = "Transformation"
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


def _list_objects(env: Any, resource_runtime_part: Any, state_credentials: Any) -> None:
    """What AWS's ItemReader does with `arn:aws:states:::s3:listObjectsV2` (replaces moto's
    `_handle_list_objects_v2`, which reads only the first page and fails with KeyError on an
    empty one, S3 returning no `Contents` then).

    "ItemReader (Map)": by default the items are the objects' metadata ListObjectsV2 returns;
    with ReaderConfig's Transformation LOAD_AND_FLATTEN they are the items in the objects, each
    read as InputType says. Only JSON is read here (the one input type moto reads from S3 whose
    items can be joined): the arrays, in the order S3 lists the keys, join into the one array
    moto's JSON reader then takes apart. No object under the prefix is no item.
    """
    import importlib

    reader = importlib.import_module(_ITEM_READER_S3).ResourceEvalS3
    s3 = reader._get_s3_client(
        resource_runtime_part=resource_runtime_part, state_credentials=state_credentials
    )
    parameters = dict(env.stack.pop())
    transformation = parameters.pop(_TRANSFORMATION_KEY, "NONE")
    listed: list[dict[str, Any]] = []
    for page in s3.get_paginator("list_objects_v2").paginate(**parameters):
        listed.extend(page.get("Contents", []))
    if transformation != "LOAD_AND_FLATTEN":
        env.stack.append(listed)
        return
    items: list[Any] = []
    for entry in listed:
        body = s3.get_object(Bucket=parameters["Bucket"], Key=entry["Key"])["Body"].read()
        items.extend(json.loads(body))
    env.stack.append(json.dumps(items))


def _for_moto_parser(definition: str) -> str:
    """`definition` as moto's ASL parser accepts it, where its grammar is narrower than AWS's.

    * moto's grammar knows only Resource and Parameters in a ResultWriter and rejects
      WriterConfig (ASLParserException "mismatched input '"WriterConfig"'"), which the
      ResultWriter page documents. The config goes into the writer's Parameters (Arguments under
      JSONata), with the putObject Resource moto requires when the writer had none (the
      "WriterConfig only" preview), for `_write_map_results` to honour.
    * moto's grammar knows no Transformation in an ItemReader's ReaderConfig ("mismatched input
      '"Transformation"'"), which the ItemReader page documents (NONE or LOAD_AND_FLATTEN, with
      the s3:listObjectsV2 Resource). It goes into the reader's Parameters (Arguments under
      JSONata), for `_list_objects` to honour.
    * moto's grammar takes ToleratedFailurePercentage only as a decimal (50.0) and rejects an
      integer ("no viable alternative at input '"ToleratedFailurePercentage":100'"); the Distributed
      Map's tolerated-failure page: "You must specify a value between zero and 100 ... If you
      specify the percentage as 100, the workflow won't fail even if all child workflow
      executions fail." An integer becomes the same number as a decimal.

    Only the copy moto parses changes: DescribeStateMachine returns the definition as created.
    """
    rewritten = ('"WriterConfig"', '"Transformation"', '"ToleratedFailurePercentage"')
    if not any(field in definition for field in rewritten):
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
    reader = node.get("ItemReader")
    if node.get("Type") == "Map" and isinstance(reader, dict):
        config = reader.get("ReaderConfig")
        field_name = "Arguments" if "Arguments" in reader or jsonata else "Parameters"
        arguments = reader.get(field_name, {})
        if (
            isinstance(config, dict)
            and _TRANSFORMATION_KEY in config
            and isinstance(arguments, dict)
        ):
            reader[field_name] = {**arguments, _TRANSFORMATION_KEY: config.pop(_TRANSFORMATION_KEY)}
    tolerated = node.get("ToleratedFailurePercentage")
    if node.get("Type") == "Map" and type(tolerated) is int:
        node["ToleratedFailurePercentage"] = float(tolerated)
    for value in node.values():
        _rewrite(value, jsonata)


def map_result_patches() -> list[Any]:
    """The patches that record each child of a Distributed Map, write its results and list
    objects to read like AWS."""
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
    reader = importlib.import_module(_ITEM_READER_S3).ResourceEvalS3
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
        mock.patch.object(reader, "_handle_list_objects_v2", staticmethod(_list_objects)),
    ]
