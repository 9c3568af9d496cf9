"""A Distributed Map's ResultWriter and ItemReader in moto, checked against the AWS documentation.

The expected files are written from the Step Functions developer guide's ResultWriter (Map)
page: under ``<Prefix>/<map run id>/`` a ``manifest.json`` ({"DestinationBucket", "MapRunArn",
"ResultFiles": {"FAILED", "PENDING", "SUCCEEDED": [{"Key", "Size"}]}}) and one file per status
that has executions, ``SUCCEEDED_0.json`` / ``FAILED_0.json``, holding one record per child
execution in the NONE transformation. The page shows a SUCCEEDED record only; the FAILED one
follows a FAILED_0.json AWS wrote (see `orchestrator.testing.moto._child_record`).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest

from orchestrator.contract import RESULTS_BUCKET_ENV, results_prefix
from orchestrator.runtime.results import store_from_env
from orchestrator.testing.moto import ACCOUNT_ID, REGION, MotoStepFunctions, StateMachine
from orchestrator.testing.stack import deploy_template_to_moto

LAMBDA = "arn:aws:states:::lambda:invoke"
BUCKET = "${ResultsBucketName}"
DISTRIBUTED = {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}
#: "StartDate": "2025-02-04T01:49:50.099Z" (ResultWriter page).
DATE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
SUCCEEDED_KEYS = {
    "ExecutionArn",
    "Input",
    "InputDetails",
    "Name",
    "Output",
    "OutputDetails",
    "RedriveCount",
    "RedriveStatus",
    "RedriveStatusReason",
    "StartDate",
    "StateMachineArn",
    "Status",
    "StopDate",
}
#: As in the FAILED_0.json AWS wrote: Error and Cause, no Output, no RedriveStatusReason.
FAILED_KEYS = SUCCEEDED_KEYS - {"Output", "RedriveStatusReason"} | {"Error", "Cause"}
#: Step Functions' limit on a state's input or output, and on an execution's.
PAYLOAD_LIMIT = 256 * 1024


class Rejected(Exception):
    pass


def compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def lambda_task(placeholder: str, **extra: Any) -> dict[str, Any]:
    return {
        "Type": "Task",
        "Resource": LAMBDA,
        "Parameters": {"FunctionName": "${" + placeholder + "}", "Payload.$": "$"},
        "OutputPath": "$.Payload",
        "End": True,
        **extra,
    }


def distributed_map(processor: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "Type": "Map",
        "ItemProcessor": {"ProcessorConfig": DISTRIBUTED, "StartAt": "Work", "States": processor},
        **fields,
    }


def writer(prefix: str, **extra: Any) -> dict[str, Any]:
    return {
        "Resource": "arn:aws:states:::s3:putObject",
        "Parameters": {"Bucket": BUCKET, "Prefix": prefix},
        **extra,
    }


def read(bucket: str, key: str) -> bytes:
    return bytes(
        boto3.client("s3", region_name=REGION).get_object(Bucket=bucket, Key=key)["Body"].read()
    )


def read_json(bucket: str, key: str) -> Any:
    return json.loads(read(bucket, key))


def run_id(map_run_arn: str) -> str:
    return map_run_arn.rsplit(":", 1)[-1]


def child_machine(sm: StateMachine, label: str) -> str:
    # A Map Run's children run the state machine `<parent>/<label>` (the ResultWriter page's
    # "StateMachineArn": "arn:aws:states:region:account-id:stateMachine:orderProcessing/getOrders").
    return f"arn:aws:states:{REGION}:{ACCOUNT_ID}:stateMachine:{sm.name}/{label}"


def check_metadata(record: dict[str, Any], sm: StateMachine, label: str) -> None:
    """The fields whose values AWS makes up: names, ARNs, dates."""
    name = record["Name"]
    uuid.UUID(name)  # AWS names children with UUIDs ("da4e9fc7-abab-3b27-9a77-a277e463b709")
    machine = child_machine(sm, label)
    assert record["StateMachineArn"] == machine
    assert record["ExecutionArn"] == machine.replace(":stateMachine:", ":execution:") + ":" + name
    assert DATE.fullmatch(record["StartDate"]) and DATE.fullmatch(record["StopDate"])
    assert record["StartDate"] <= record["StopDate"]


def succeeded_record(record: dict[str, Any], input: Any, output: Any) -> dict[str, Any]:
    """The ResultWriter page's NONE record of a child that succeeded with `output`."""
    return {
        "ExecutionArn": record["ExecutionArn"],
        "Input": compact(input),
        "InputDetails": {"Included": True},
        "Name": record["Name"],
        "Output": compact(output),
        "OutputDetails": {"Included": True},
        "RedriveCount": 0,
        "RedriveStatus": "NOT_REDRIVABLE",
        "RedriveStatusReason": "Execution is SUCCEEDED and cannot be redriven",
        "StartDate": record["StartDate"],
        "StateMachineArn": record["StateMachineArn"],
        "Status": "SUCCEEDED",
        "StopDate": record["StopDate"],
    }


def square(event: Any) -> Any:
    return {"n": event["n"], "square": event["n"] ** 2}


# -- ResultWriter ------------------------------------------------------------------------------


def test_result_writer_exports_the_children_as_aws_documents(moto_sfn: MotoStepFunctions) -> None:
    definition = {
        "StartAt": "Process",
        "States": {
            "Process": distributed_map(
                {"Work": lambda_task("SquareFunctionArn")},
                Label="process",
                MaxConcurrency=2,
                ItemsPath="$.items",
                ItemSelector={"n.$": "$$.Map.Item.Value"},
                ResultWriter=writer("myflow/maps/process"),
                End=True,
            )
        },
    }
    sm = moto_sfn.deploy(definition, {"SquareFunctionArn": square}, name="export")
    assert sm.definition["States"]["Process"]["ResultWriter"]["Parameters"]["Bucket"] == (
        moto_sfn.results_bucket
    )
    run = moto_sfn.execute(sm, {"items": [3, 1, 4, 1, 5]})
    assert run.status == "SUCCEEDED", run.cause

    # The state's result: ResultWriter page, "the Distributed Map state execution returns the Map
    # Run ARN and data about the Amazon S3 export location".
    map_run_arn = run.output["MapRunArn"]
    assert re.fullmatch(
        rf"arn:aws:states:{REGION}:{ACCOUNT_ID}:mapRun:{sm.name}/process:[0-9a-f-]{{36}}",
        map_run_arn,
    )
    folder = f"myflow/maps/process/{run_id(map_run_arn)}/"
    bucket = moto_sfn.results_bucket
    assert run.output == {
        "MapRunArn": map_run_arn,
        "ResultWriterDetails": {"Bucket": bucket, "Key": folder + "manifest.json"},
    }

    succeeded = read(bucket, folder + "SUCCEEDED_0.json")
    assert read_json(bucket, folder + "manifest.json") == {
        "DestinationBucket": bucket,
        "MapRunArn": map_run_arn,
        "ResultFiles": {
            "FAILED": [],
            "PENDING": [],
            "SUCCEEDED": [{"Key": folder + "SUCCEEDED_0.json", "Size": len(succeeded)}],
        },
    }
    records = json.loads(succeeded)
    assert len(records) == 5
    for n, record in zip([3, 1, 4, 1, 5], records, strict=True):  # in item order
        assert set(record) == SUCCEEDED_KEYS
        check_metadata(record, sm, "process")
        # The child's input is the item after ItemSelector; its output, the Lambda's result.
        assert record == succeeded_record(record, {"n": n}, {"n": n, "square": n * n})
    assert len({r["Name"] for r in records}) == 5
    listing = boto3.client("s3", region_name=REGION).list_objects_v2(Bucket=bucket, Prefix=folder)
    assert sorted(o["Key"] for o in listing["Contents"]) == [
        folder + "SUCCEEDED_0.json",
        folder + "manifest.json",
    ]


def test_failed_children_within_the_tolerance_are_exported_to_failed_0(
    moto_sfn: MotoStepFunctions,
) -> None:
    def picky(event: Any) -> Any:
        if event["n"] % 2:
            raise Rejected(f"odd {event['n']}")
        return event["n"]

    definition = {
        "StartAt": "Process",
        "States": {
            "Process": distributed_map(
                {"Work": lambda_task("PickyFunctionArn")},
                Label="picky",
                # An integer percentage: "If you specify the percentage as 100, the workflow won't
                # fail even if all child workflow executions fail" (moto's parser wants 100.0).
                ToleratedFailurePercentage=100,
                ItemSelector={"n.$": "$$.Map.Item.Value"},
                ResultWriter=writer("myflow/maps/picky"),
                End=True,
            )
        },
    }
    sm = moto_sfn.deploy(definition, {"PickyFunctionArn": picky}, name="tolerant")
    run = moto_sfn.execute(sm, [0, 1, 2, 3])
    assert run.status == "SUCCEEDED", run.cause
    bucket, folder = (
        moto_sfn.results_bucket,
        f"myflow/maps/picky/{run_id(run.output['MapRunArn'])}/",
    )
    succeeded = read(bucket, folder + "SUCCEEDED_0.json")
    failed = read(bucket, folder + "FAILED_0.json")
    assert read_json(bucket, folder + "manifest.json")["ResultFiles"] == {
        "FAILED": [{"Key": folder + "FAILED_0.json", "Size": len(failed)}],
        "PENDING": [],
        "SUCCEEDED": [{"Key": folder + "SUCCEEDED_0.json", "Size": len(succeeded)}],
    }
    good = json.loads(succeeded)
    assert [json.loads(r["Output"]) for r in good] == [0, 2]
    bad = json.loads(failed)
    assert [json.loads(r["Input"]) for r in bad] == [{"n": 1}, {"n": 3}]
    for n, record in zip([1, 3], bad, strict=True):
        assert set(record) == FAILED_KEYS
        check_metadata(record, sm, "picky")
        # The child failed as its Task did: Lambda's Unhandled error, the exception's class.
        cause = json.loads(record.pop("Cause"))
        assert (cause["errorType"], cause["errorMessage"]) == ("Rejected", f"odd {n}")
        assert record == {
            "Error": "Rejected",
            "ExecutionArn": record["ExecutionArn"],
            "Input": compact({"n": n}),
            "InputDetails": {"Included": True},
            "Name": record["Name"],
            "OutputDetails": {"Included": True},
            "RedriveCount": 0,
            "RedriveStatus": "REDRIVABLE_BY_MAP_RUN",
            "StartDate": record["StartDate"],
            "StateMachineArn": record["StateMachineArn"],
            "Status": "FAILED",
            "StopDate": record["StopDate"],
        }


def pairs(event: Any) -> Any:
    # "For these examples assume that each child workflow execution returns an output, which is
    # an array of objects" (ResultWriter page).
    return [{"order_id": f"{event}-a"}, {"order_id": f"{event}-b"}]


@pytest.mark.parametrize(
    ("writer_config", "expected"),
    [
        # "COMPACT - returns the output of the child workflow executions".
        (
            {"Transformation": "COMPACT", "OutputType": "JSON"},
            [
                [{"order_id": "x-a"}, {"order_id": "x-b"}],
                [{"order_id": "y-a"}, {"order_id": "y-b"}],
            ],
        ),
        # "FLATTEN - ... If a child workflow execution returns an array, this option flattens
        # the array".
        (
            {"Transformation": "FLATTEN", "OutputType": "JSON"},
            [{"order_id": "x-a"}, {"order_id": "x-b"}, {"order_id": "y-a"}, {"order_id": "y-b"}],
        ),
    ],
    ids=["COMPACT", "FLATTEN"],
)
def test_writer_config_transforms_the_exported_results(
    moto_sfn: MotoStepFunctions, writer_config: dict[str, str], expected: list[Any]
) -> None:
    definition = {
        "StartAt": "Orders",
        "States": {
            "Orders": distributed_map(
                {"Work": lambda_task("PairsFunctionArn")},
                ResultWriter=writer("myflow/maps/orders", WriterConfig=writer_config),
                End=True,
            )
        },
    }
    sm = moto_sfn.deploy(definition, {"PairsFunctionArn": pairs}, name="transform")
    # moto's parser rejects WriterConfig; the definition stored is still the one created.
    stored = json.loads(moto_sfn.sfn.describe_state_machine(stateMachineArn=sm.arn)["definition"])
    assert stored["States"]["Orders"]["ResultWriter"]["WriterConfig"] == writer_config
    run = moto_sfn.execute(sm, ["x", "y"])
    assert run.status == "SUCCEEDED", run.cause
    details = run.output["ResultWriterDetails"]
    folder = details["Key"].removesuffix("manifest.json")
    assert read_json(details["Bucket"], folder + "SUCCEEDED_0.json") == expected


def test_writer_config_jsonl_writes_json_lines(moto_sfn: MotoStepFunctions) -> None:
    config = {"Transformation": "NONE", "OutputType": "JSONL"}
    definition = {
        "StartAt": "Orders",
        "States": {
            "Orders": distributed_map(
                {"Work": lambda_task("PairsFunctionArn")},
                Label="orders",
                ResultWriter=writer("myflow/maps/lines", WriterConfig=config),
                End=True,
            )
        },
    }
    sm = moto_sfn.deploy(definition, {"PairsFunctionArn": pairs}, name="lines")
    run = moto_sfn.execute(sm, ["x", "y"])
    assert run.status == "SUCCEEDED", run.cause
    details = run.output["ResultWriterDetails"]
    body = read(
        details["Bucket"], details["Key"].removesuffix("manifest.json") + "SUCCEEDED_0.json"
    )
    # "JSONL - formats the results as JSON Lines": one record a line.
    records = [json.loads(line) for line in body.decode().splitlines()]
    assert [json.loads(r["Output"]) for r in records] == [pairs("x"), pairs("y")]
    for item, record in zip(["x", "y"], records, strict=True):
        check_metadata(record, sm, "orders")
        assert record == succeeded_record(record, item, pairs(item))


def test_writer_config_alone_transforms_the_state_output(moto_sfn: MotoStepFunctions) -> None:
    # "WriterConfig - to preview the formatted output, without saving the results to Amazon S3".
    config = {"Transformation": "FLATTEN", "OutputType": "JSON"}
    definition = {
        "StartAt": "Orders",
        "States": {
            "Orders": distributed_map(
                {"Work": lambda_task("PairsFunctionArn")},
                ResultWriter={"WriterConfig": config},
                End=True,
            )
        },
    }
    sm = moto_sfn.deploy(definition, {"PairsFunctionArn": pairs}, name="preview")
    run = moto_sfn.execute(sm, ["x", "y"])
    assert run.status == "SUCCEEDED", run.cause
    assert run.output == pairs("x") + pairs("y")


def test_an_unwritable_bucket_fails_with_result_writer_failed(moto_sfn: MotoStepFunctions) -> None:
    # "Make sure that the Amazon S3 bucket you use to export the results of a Map Run is under the
    # same AWS account and AWS Region as your state machine. Otherwise, your state machine
    # execution will fail with the States.ResultWriterFailed error."
    definition = {
        "StartAt": "Process",
        "States": {
            "Process": distributed_map(
                {"Work": {"Type": "Pass", "End": True}},
                ResultWriter={
                    "Resource": "arn:aws:states:::s3:putObject",
                    "Parameters": {"Bucket": "no-such-bucket-here", "Prefix": "p"},
                },
                End=True,
            )
        },
    }
    sm = moto_sfn.deploy(definition, {}, name="unwritable")
    run = moto_sfn.execute(sm, [1, 2])
    assert (run.status, run.error) == ("FAILED", "States.ResultWriterFailed")


# -- ItemReader --------------------------------------------------------------------------------

ITEM_READER = {
    "Resource": "arn:aws:states:::s3:getObject",
    "ReaderConfig": {"InputType": "JSON"},
    "Parameters": {"Bucket.$": "$.bucket", "Key.$": "$.key"},
}


def test_item_reader_iterates_a_json_array_in_the_results_bucket(
    moto_sfn: MotoStepFunctions,
) -> None:
    bucket = moto_sfn.results_bucket
    items = [{"n": 2}, {"n": 7}, {"n": 1}]
    boto3.client("s3", region_name=REGION).put_object(
        Bucket=bucket, Key="myflow/inputs/items.json", Body=json.dumps(items).encode()
    )
    definition = {
        "StartAt": "Read",
        "States": {
            "Read": distributed_map(
                {"Work": {"Type": "Pass", "End": True}},
                ItemReader=ITEM_READER,
                # In ItemSelector `$` is the Map state's input, `$$.Map.Item` the item read.
                ItemSelector={
                    "item.$": "$$.Map.Item.Value",
                    "index.$": "$$.Map.Item.Index",
                    "from.$": "$.key",
                },
                End=True,
            )
        },
    }
    sm = moto_sfn.deploy(definition, {}, name="reader")
    run = moto_sfn.execute(sm, {"bucket": bucket, "key": "myflow/inputs/items.json"})
    assert run.status == "SUCCEEDED", run.cause
    assert run.output == [
        {"item": item, "index": i, "from": "myflow/inputs/items.json"}
        for i, item in enumerate(items)
    ]


def test_a_chained_map_reads_the_first_maps_succeeded_file(moto_sfn: MotoStepFunctions) -> None:
    def total(event: Any) -> Any:
        return {"n": event["n"], "total": event["square"] + event["n"]}

    definition = {
        "StartAt": "First",
        "States": {
            "First": distributed_map(
                {"Work": lambda_task("SquareFunctionArn")},
                ItemsPath="$.items",
                ItemSelector={"n.$": "$$.Map.Item.Value"},
                ResultWriter=writer("chain/maps/first"),
                ResultPath="$.first",
                Next="Locate",
            ),
            # SUCCEEDED_0.json beside the manifest: <Prefix>/<map run id>/SUCCEEDED_0.json.
            "Locate": {
                "Type": "Pass",
                "Parameters": {
                    "bucket.$": "$.first.ResultWriterDetails.Bucket",
                    "key.$": "States.Format('chain/maps/first/{}/SUCCEEDED_0.json', "
                    "States.ArrayGetItem(States.StringSplit($.first.MapRunArn, ':'), 7))",
                },
                "Next": "Second",
            },
            "Second": distributed_map(
                {"Work": lambda_task("TotalFunctionArn", InputPath="$.value")},
                ItemReader=ITEM_READER,
                # Each item is a child record; its Output is the first map's result, as a string.
                ItemSelector={"value.$": "States.StringToJson($$.Map.Item.Value.Output)"},
                End=True,
            ),
        },
    }
    sm = moto_sfn.deploy(
        definition, {"SquareFunctionArn": square, "TotalFunctionArn": total}, name="chain"
    )
    run = moto_sfn.execute(sm, {"items": [3, 1, 4]})
    assert run.status == "SUCCEEDED", run.cause
    assert run.output == [{"n": n, "total": n * n + n} for n in [3, 1, 4]]


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        # AWS splits a large export into SUCCEEDED_0.json, SUCCEEDED_1.json, ...: all are read,
        # in the order S3 lists keys (ascending UTF-8 bytes: _10 before _2).
        (
            {"SUCCEEDED_0.json": [1, 2], "SUCCEEDED_10.json": [3], "SUCCEEDED_2.json": [4]},
            [1, 2, 3, 4],
        ),
        # A run of no item exports no SUCCEEDED file ("ResultWriter (Map)"): no item to read.
        ({"FAILED_0.json": [{"Error": "E"}]}, []),
    ],
    ids=["several files", "no file"],
)
def test_item_reader_lists_and_loads_every_object_under_a_prefix(
    moto_sfn: MotoStepFunctions, files: dict[str, list[Any]], expected: list[Any]
) -> None:
    """ "ItemReader (Map)": `arn:aws:states:::s3:listObjectsV2` with ReaderConfig's
    Transformation LOAD_AND_FLATTEN iterates over the items in the objects under the Prefix
    (moto's grammar knows no Transformation, and its listing fails on an empty page: both
    patched by the harness)."""
    bucket, folder = moto_sfn.results_bucket, f"listed/{len(files)}"  # the bucket is shared
    s3 = boto3.client("s3", region_name=REGION)
    for name, items in files.items():
        s3.put_object(Bucket=bucket, Key=f"{folder}/{name}", Body=json.dumps(items).encode())
    definition = {
        "StartAt": "Read",
        "States": {
            "Read": distributed_map(
                {"Work": {"Type": "Pass", "End": True}},
                ItemReader={
                    "Resource": "arn:aws:states:::s3:listObjectsV2",
                    "ReaderConfig": {"InputType": "JSON", "Transformation": "LOAD_AND_FLATTEN"},
                    "Parameters": {"Bucket.$": "$.bucket", "Prefix.$": "$.prefix"},
                },
                End=True,
            )
        },
    }
    sm = moto_sfn.deploy(definition, {}, name=f"lister-{len(files)}")
    # DescribeStateMachine returns the definition as created, Transformation where it was.
    stored = json.loads(moto_sfn.sfn.describe_state_machine(stateMachineArn=sm.arn)["definition"])
    assert stored["States"]["Read"]["ItemReader"]["ReaderConfig"]["Transformation"] == (
        "LOAD_AND_FLATTEN"
    )
    run = moto_sfn.execute(sm, {"bucket": bucket, "prefix": f"{folder}/SUCCEEDED_"})
    assert run.status == "SUCCEEDED", run.cause
    assert run.output == expected


# -- the harness's results bucket ------------------------------------------------------------


def test_handlers_see_the_results_bucket_and_store_under_their_flow(
    moto_sfn: MotoStepFunctions,
) -> None:
    def offload(event: Any) -> Any:
        import os

        # What the runtime does with a large result: the store of the flow the payload names.
        uri = store_from_env(event["context"]["flow"]).put("run/task/0.json", '{"big": true}')
        return {"bucket": os.environ[RESULTS_BUCKET_ENV], "uri": uri}

    sm = moto_sfn.deploy(
        {"StartAt": "Work", "States": {"Work": lambda_task("OffloadFunctionArn")}},
        {"OffloadFunctionArn": offload},
        name="offload",
    )
    run = moto_sfn.execute(sm, {"context": {"flow": "myflow"}})
    assert run.status == "SUCCEEDED", run.cause
    bucket = moto_sfn.results_bucket
    key = f"{results_prefix('myflow')}run/task/0.json"
    assert run.output == {"bucket": bucket, "uri": f"s3://{bucket}/{key}"}
    assert read_json(bucket, key) == {"big": True}


def test_a_stack_substitutes_its_own_results_bucket(
    moto_sfn: MotoStepFunctions, tmp_path: Path
) -> None:
    definition = {
        "StartAt": "Process",
        "States": {
            "Process": distributed_map(
                {"Work": {"Type": "Pass", "End": True}},
                ResultWriter={
                    **writer("stacked/maps/process"),
                    "WriterConfig": {"Transformation": "COMPACT", "OutputType": "JSON"},
                },
                End=True,
            )
        },
    }
    (tmp_path / "machine.asl.json").write_text(json.dumps(definition))
    template = {
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {
            "ResultsBucket": {"Type": "AWS::S3::Bucket"},
            "Machine": {
                "Type": "AWS::Serverless::StateMachine",
                "Properties": {
                    "DefinitionUri": "machine.asl.json",
                    "DefinitionSubstitutions": {"ResultsBucketName": {"Ref": "ResultsBucket"}},
                    "Policies": [{"S3CrudPolicy": {"BucketName": {"Ref": "ResultsBucket"}}}],
                },
            },
        },
    }
    (tmp_path / "template.json").write_text(json.dumps(template))
    stack = deploy_template_to_moto(
        tmp_path / "template.json", tmp_path, sfn=moto_sfn, stack_name="map-io"
    )
    bucket = stack.physical_ids["ResultsBucket"]
    assert bucket != moto_sfn.results_bucket
    run = stack.execute("Machine", [1, 2])
    assert run.status == "SUCCEEDED", run.cause
    details = run.output["ResultWriterDetails"]
    assert details["Bucket"] == bucket
    folder = details["Key"].removesuffix("manifest.json")
    assert read_json(bucket, folder + "SUCCEEDED_0.json") == [1, 2]


# -- scale -------------------------------------------------------------------------------------

WIDE = 20_000


@pytest.mark.slow
def test_twenty_thousand_items_export_without_a_large_state(moto_sfn: MotoStepFunctions) -> None:
    bucket = moto_sfn.results_bucket
    items = [{"shard": f"s{i}"} for i in range(WIDE)]
    boto3.client("s3", region_name=REGION).put_object(
        Bucket=bucket, Key="wide/inputs/items.json", Body=json.dumps(items).encode()
    )
    definition = {
        "StartAt": "Process",
        "States": {
            "Process": distributed_map(
                {"Work": {"Type": "Pass", "End": True}},
                MaxConcurrency=100,
                ItemReader=ITEM_READER,
                ResultWriter=writer("wide/maps/process"),
                End=True,
            )
        },
    }
    sm = moto_sfn.deploy(definition, {}, name="wide")
    started = time.monotonic()
    run = moto_sfn.execute(sm, {"bucket": bucket, "key": "wide/inputs/items.json"}, timeout=900)
    elapsed = time.monotonic() - started
    print(f"\n{WIDE:,} items through a Distributed Map with ResultWriter in moto: {elapsed:.1f} s")
    assert run.status == "SUCCEEDED", run.cause

    # No state's input or output carries the items or their results: they stay in S3.
    for event in run.events:
        details = next((v for k, v in event.items() if k.endswith("EventDetails")), {})
        for field in ("input", "output"):
            payload = details.get(field)
            if isinstance(payload, str):
                assert len(payload.encode()) <= PAYLOAD_LIMIT, (event["type"], field)

    details = run.output["ResultWriterDetails"]
    manifest = read_json(details["Bucket"], details["Key"])
    assert [f["Key"] for f in manifest["ResultFiles"]["SUCCEEDED"]] == [
        details["Key"].removesuffix("manifest.json") + "SUCCEEDED_0.json"
    ]
    assert manifest["ResultFiles"]["FAILED"] == manifest["ResultFiles"]["PENDING"] == []
    records = read_json(details["Bucket"], manifest["ResultFiles"]["SUCCEEDED"][0]["Key"])
    assert [json.loads(r["Output"]) for r in records] == items
