"""A Distributed Map's ItemReader, ItemBatcher and ResultWriter against an injected object store.

Every expected value is written from the AWS Step Functions developer guide, quoted where it is
used: "ItemReader (Map)", "How Step Functions parses input CSV files", "ItemBatcher (Map)",
"ResultWriter (Map)" and "Distributed Map state fields" (Label). Where the guide leaves a detail
open, the test says so.
"""

from __future__ import annotations

import json
import re
import threading
import time
from typing import Any

import pytest

from orchestrator.engine import DefinitionError, LambdaFunctionError, ObjectStore
from orchestrator.engine.compiler import compile_definition
from orchestrator.engine.delimited import delimited_rows
from orchestrator.engine.state import payload_size

from .conftest import machine, run, task

GET = "arn:aws:states:::s3:getObject"
LIST = "arn:aws:states:::s3:listObjectsV2"
PUT = "arn:aws:states:::s3:putObject"
PASS = {"Type": "Pass", "End": True}
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
DATE = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"  # "2025-02-04T01:49:50.099Z"
BUCKET = "amzn-s3-demo-bucket"
DESTINATION = "amzn-s3-demo-destination-bucket"


class DictStore:
    """An in-memory S3: objects by (bucket, key); a missing one raises like S3's NoSuchKey."""

    def __init__(self, objects: dict[tuple[str, str], str] | None = None) -> None:
        self.objects = dict(objects or {})

    def get_object(self, bucket: str, key: str) -> str:
        try:
            return self.objects[(bucket, key)]
        except KeyError:
            raise KeyError(f"NoSuchKey: {bucket}/{key}") from None

    def list_keys(self, bucket: str, prefix: str) -> list[str]:
        # In no particular order (the reader orders them as S3 lists them): here, reversed.
        return sorted((k for b, k in self.objects if b == bucket and k.startswith(prefix)))[::-1]

    def put_object(self, bucket: str, key: str, body: str) -> None:
        self.objects[(bucket, key)] = body

    def json(self, bucket: str, key: str) -> Any:
        return json.loads(self.objects[(bucket, key)])

    def keys(self, bucket: str) -> set[str]:
        return {key for b, key in self.objects if b == bucket}


class ReadOnlyStore(DictStore):
    def put_object(self, bucket: str, key: str, body: str) -> None:
        raise PermissionError("AccessDenied")


def dmap(inner: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    """A Distributed Map state whose children run `inner` (a Pass state by default)."""
    processor = {
        **machine(I=inner or PASS),
        "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
    }
    return {"Type": "Map", "ItemProcessor": processor, "End": True, **fields}


def reader(input_type: str, key: str, **config: Any) -> dict[str, Any]:
    return {
        "Resource": GET,
        "ReaderConfig": {"InputType": input_type, **config},
        "Parameters": {"Bucket": BUCKET, "Key": key},
    }


def lister(input_type: str, prefix: str | None, **config: Any) -> dict[str, Any]:
    """An ItemReader of every object under `prefix` (no Prefix field when None), flattened."""
    parameters = {"Bucket": BUCKET} if prefix is None else {"Bucket": BUCKET, "Prefix": prefix}
    return {
        "Resource": LIST,
        "ReaderConfig": {"InputType": input_type, "Transformation": "LOAD_AND_FLATTEN", **config},
        "Parameters": parameters,
    }


def writer(prefix: Any = "csvProcessJobs", **config: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "Resource": PUT,
        "Parameters": {"Bucket": DESTINATION, "Prefix": prefix},
    }
    if config:
        spec["WriterConfig"] = config
    return spec


# -- the guide's datasets --------------------------------------------------------------------------
# "JSON file in an Amazon S3 bucket": factcheck.json.
FACTS = [
    {"verdict": "true", "statement_date": "6/11/2008", "statement_source": "speech"},
    {"verdict": "false", "statement_date": "6/7/2022", "statement_source": "television"},
    {"verdict": "mostly-true", "statement_date": "5/18/2016", "statement_source": "news"},
]
# "JSON Lines file in an Amazon S3 bucket": factcheck.jsonl, one object per line.
FACTS_JSONL = (
    '{"verdict": "true", "statement_date": "6/11/2008", "statement_source": "speech"}\n'
    '{"verdict": "false", "statement_date": "6/7/2022", "statement_source": "television"}\n'
    '{"verdict": "mostly-true", "statement_date": "5/18/2016", "statement_source": "news"}\n'
)
# "ResultWriter (Map)": "assume that each child workflow execution returns an output, which is
# an array of objects" (the first and last child of the guide's example).
ORDERS = [
    [
        {"customer_id": "145538", "order_id": "100000"},
        {"customer_id": "898037", "order_id": "100001"},
    ],
    [
        {"customer_id": "169881", "order_id": "100005"},
        {"customer_id": "797471", "order_id": "100006"},
    ],
]


# -- ItemReader ------------------------------------------------------------------------------------
def test_json_file_items_are_the_array_elements() -> None:
    """ "The Distributed Map state starts as many child workflow executions as the number of
    array items present in the JSON file", each receiving one item."""
    store = DictStore({(BUCKET, "jsonDataset/factcheck.json"): json.dumps(FACTS)})
    ex = run(
        machine(Map=dmap(ItemReader=reader("JSON", "jsonDataset/factcheck.json"))),
        {},
        objects=store,
    )
    assert ex.status == "SUCCEEDED", ex.cause
    assert ex.output == FACTS
    started = [e for e in ex.events if e.type == "PassStateEntered"]
    assert sorted(json.loads(e.details["input"])["verdict"] for e in started) == [
        "false",
        "mostly-true",
        "true",
    ]


def test_parameters_are_a_payload_template_on_the_effective_input() -> None:
    store = DictStore({("data", "in/facts.json"): json.dumps(FACTS)})
    spec = dmap(
        InputPath="$.source",
        ItemReader={
            "Resource": GET,
            "ReaderConfig": {"InputType": "JSON"},
            "Parameters": {"Bucket.$": "$.bucket", "Key.$": "States.Format('in/{}', $.file)"},
        },
    )
    ex = run(machine(Map=spec), {"source": {"bucket": "data", "file": "facts.json"}}, objects=store)
    assert ex.output == FACTS


def test_jsonl_file_one_item_per_line() -> None:
    """ "...as many child workflow executions as the number of lines present in the JSONL
    file"."""
    store = DictStore({(BUCKET, "jsonlDataset/factcheck.jsonl"): FACTS_JSONL})
    ex = run(
        machine(Map=dmap(ItemReader=reader("JSONL", "jsonlDataset/factcheck.jsonl"))),
        objects=store,
    )
    assert ex.output == FACTS


def test_csv_first_row_header_with_pipe_delimiter() -> None:
    """The guide's ratings.csv with `"CSVHeaderLocation": "FIRST_ROW", "CSVDelimiter": "PIPE"`:
    a child receives `{"rating": "3.5", "movieId": "307", "userId": "1", "timestamp":
    "1256677221"}` — "Fields are treated as strings"."""
    text = "userId|movieId|rating|timestamp\n1|307|3.5|1256677221\n1|481|3.5|1256677456\n"
    store = DictStore({(BUCKET, "csvDataset/ratings.csv"): text})
    spec = dmap(
        ItemReader=reader(
            "CSV", "csvDataset/ratings.csv", CSVHeaderLocation="FIRST_ROW", CSVDelimiter="PIPE"
        )
    )
    ex = run(machine(Map=spec), objects=store)
    assert ex.output == [
        {"rating": "3.5", "movieId": "307", "userId": "1", "timestamp": "1256677221"},
        {"rating": "3.5", "movieId": "481", "userId": "1", "timestamp": "1256677456"},
    ]


def test_csv_given_headers() -> None:
    """`"CSVHeaderLocation": "GIVEN"` with the guide's headers for a file without a header row:
    `1,307,3.5,1256677221` ..."""
    text = "1,307,3.5,1256677221\n1,481,3.5,1256677456\n1,1091,1.5,1256677471\n"
    store = DictStore({(BUCKET, "ratings.csv"): text})
    config = {
        "CSVHeaderLocation": "GIVEN",
        "CSVHeaders": ["userId", "movieId", "rating", "timestamp"],
    }
    ex = run(machine(Map=dmap(ItemReader=reader("CSV", "ratings.csv", **config))), objects=store)
    assert ex.output == [
        {"userId": "1", "movieId": "307", "rating": "3.5", "timestamp": "1256677221"},
        {"userId": "1", "movieId": "481", "rating": "3.5", "timestamp": "1256677456"},
        {"userId": "1", "movieId": "1091", "rating": "1.5", "timestamp": "1256677471"},
    ]


def test_csv_parsing_example_with_item_selector() -> None:
    """ "Example of parsing an input CSV file": myCSVInput.csv, GIVEN headers, ItemSelector with
    States.StringToJson. (The guide's printed output says "a double quote (\\")" where its
    input says "a double quotation marks (\\"\\")": the input's text is what a parser yields.)"""
    text = (
        'abc,123,"This string contains commas, a double quotation marks (""), and a newline (\n'
        ')",{""MyKey"":""MyValue""},"[1,2,3]"'
    )
    store = DictStore({(BUCKET, "myCSVInput.csv"): text})
    spec = dmap(
        Label="Map",
        MaxConcurrency=1000,
        ItemReader=reader(
            "CSV",
            "myCSVInput.csv",
            CSVHeaderLocation="GIVEN",
            CSVHeaders=["MyLetters", "MyNumbers", "MyString", "MyObject", "MyArray"],
        ),
        ItemSelector={
            "MyLetters.$": "$$.Map.Item.Value.MyLetters",
            "MyNumbers.$": "States.StringToJson($$.Map.Item.Value.MyNumbers)",
            "MyString.$": "$$.Map.Item.Value.MyString",
            "MyObject.$": "States.StringToJson($$.Map.Item.Value.MyObject)",
            "MyArray.$": "States.StringToJson($$.Map.Item.Value.MyArray)",
        },
    )
    ex = run(machine(Map=spec), objects=store)
    assert ex.status == "SUCCEEDED", ex.cause
    assert ex.output == [
        {
            "MyNumbers": 123,
            "MyObject": {"MyKey": "MyValue"},
            "MyString": (
                'This string contains commas, a double quotation marks ("), and a newline (\n)'
            ),
            "MyLetters": "abc",
            "MyArray": [1, 2, 3],
        }
    ]


@pytest.mark.parametrize(
    ("line", "fields"),
    [
        ('"",x', ["", "x"]),  # an empty quoted field
        ('"a,b",c', ["a,b", "c"]),  # a quoted delimiter
        ('"say ""hi""",x', ['say "hi"', "x"]),  # "preserve double quotes by repeating them"
        ('a\\"b,c', ['a"b', "c"]),  # a backslash escapes a double quote
        ("a\\qb,c", ["aqb", "c"]),  # a backslash before another character is dropped
    ],
)
def test_delimited_field_rules(line: str, fields: list[str]) -> None:
    """ "How Step Functions parses input CSV files": "strings that are enclosed by double
    quotation marks can contain commas"; "Backslashes only work with other backslashes, double
    quotation marks, and the configured field separator ... A backslash followed by any other
    character is silently removed" (read as: the backslash is)."""
    assert list(delimited_rows(line + "\r\n", ",")) == [fields]


def test_csv_row_length_and_backslash_rules() -> None:
    """ "If the number of fields in a row is less than the number of fields in the header, Step
    Functions provides empty strings"; more: "skips the additional fields"; "You can preserve
    backslashes by repeating them" (`C:\\\\Program Files\\\\MyApp.exe`); a backslash escapes
    the field separator."""
    text = "path,size\nC:\\\\Program Files\\\\MyApp.exe,6534512\nshort\na,b,extra\nx\\,y,1\n"
    store = DictStore({(BUCKET, "paths.csv"): text})
    spec = dmap(ItemReader=reader("CSV", "paths.csv", CSVHeaderLocation="FIRST_ROW"))
    ex = run(machine(Map=spec), objects=store)
    assert ex.output == [
        {"path": "C:\\Program Files\\MyApp.exe", "size": "6534512"},
        {"path": "short", "size": ""},
        {"path": "a", "size": "b"},
        {"path": "x,y", "size": "1"},
    ]


@pytest.mark.parametrize("input_type", ["CSV", "JSON", "JSONL"])
def test_max_items_limits_the_items_read(input_type: str) -> None:
    """ "if you provide a text delimited file that contains 1000 rows, and you specify a limit of
    100, then the interpreter passes only 100 rows" — in order, "starting after the header"."""
    rows = [{"n": str(i)} for i in range(1000)]
    text = {
        "CSV": "n\n" + "".join(f"{i}\n" for i in range(1000)),
        "JSON": json.dumps(rows),
        "JSONL": "".join(json.dumps(row) + "\n" for row in rows),
    }[input_type]
    store = DictStore({(BUCKET, "rows"): text})
    header = {"CSVHeaderLocation": "FIRST_ROW"} if input_type == "CSV" else {}
    spec = dmap(ItemReader=reader(input_type, "rows", MaxItems=100, **header))
    ex = run(machine(Map=spec), objects=store)
    assert ex.output == rows[:100]


def test_max_items_path() -> None:
    store = DictStore({(BUCKET, "facts.json"): json.dumps(FACTS)})
    spec = dmap(ItemReader=reader("JSON", "facts.json", MaxItemsPath="$.limit"))
    assert run(machine(Map=spec), {"limit": 2}, objects=store).output == FACTS[:2]
    refused = run(machine(Map=spec), {"limit": 0}, objects=store)
    assert refused.error == "States.Runtime" and "MaxItemsPath must select" in refused.cause


def test_missing_object_fails_with_item_reader_failed_naming_bucket_and_key() -> None:
    spec = dmap(ItemReader=reader("JSON", "no/such.json"))
    ex = run(machine(Map=spec), objects=DictStore())
    assert ex.status == "FAILED"
    assert ex.error == "States.ItemReaderFailed"
    assert BUCKET in ex.cause and "no/such.json" in ex.cause
    # An ItemReaderFailed error is caught like any other.
    caught = run(
        machine(
            Map={**spec, "Catch": [{"ErrorEquals": ["States.ItemReaderFailed"], "Next": "H"}]},
            H=PASS,
        ),
        objects=DictStore(),
    )
    assert caught.status == "SUCCEEDED" and caught.output["Error"] == "States.ItemReaderFailed"


@pytest.mark.parametrize(
    ("input_type", "text"),
    [("JSON", '{"not": "an array"}'), ("JSON", "[1,"), ("JSONL", '{"a": 1}\nnot json\n')],
)
def test_unreadable_content_fails_with_item_reader_failed(input_type: str, text: str) -> None:
    store = DictStore({(BUCKET, "data"): text})
    ex = run(machine(Map=dmap(ItemReader=reader(input_type, "data"))), objects=store)
    assert ex.error == "States.ItemReaderFailed", ex.cause
    assert f"s3://{BUCKET}/data" in ex.cause


def test_without_an_object_store_s3_fields_fail_at_runtime() -> None:
    """The definition compiles (its shape is fine); running it without `objects` fails the
    state, naming the missing store."""
    read = machine(Map=dmap(ItemReader=reader("JSON", "facts.json")))
    compile_definition(read)
    ex = run(read)
    assert ex.error == "States.ItemReaderFailed"
    assert "no object store" in ex.cause
    write = machine(Map=dmap(ResultWriter=writer()))
    ex = run(write, [1])
    assert ex.error == "States.ResultWriterFailed"
    assert "no object store" in ex.cause


# -- ItemReader over a prefix (s3:listObjectsV2, LOAD_AND_FLATTEN) ---------------------------------
def test_load_and_flatten_reads_every_object_under_the_prefix_in_s3_key_order() -> None:
    """ "ItemReader (Map)": with LOAD_AND_FLATTEN the Map reads "the actual data objects
    referenced in the list of results" of ListObjectsV2, which lists keys "in ascending order
    based on the UTF-8 binary representation": `part_10` before `part_2`. Objects outside the
    prefix are not read."""
    store = DictStore(
        {
            (BUCKET, "run/part_2.json"): json.dumps([3]),
            (BUCKET, "run/part_10.json"): json.dumps([2]),
            (BUCKET, "run/part_1.json"): json.dumps([0, 1]),
            (BUCKET, "runs.json"): json.dumps(["not under run/"]),
        }
    )
    ex = run(machine(Map=dmap(ItemReader=lister("JSON", "run/part_"))), objects=store)
    assert ex.status == "SUCCEEDED", ex.cause
    assert ex.output == [0, 1, 2, 3]


def test_load_and_flatten_over_an_empty_prefix_is_a_map_of_no_item() -> None:
    """No object under the prefix: no item, and the Map succeeds with an empty result (as a Map
    over an empty array does)."""
    store = DictStore({(BUCKET, "elsewhere/SUCCEEDED_0.json"): "[1]"})
    ex = run(machine(Map=dmap(ItemReader=lister("JSON", "run/SUCCEEDED_"))), objects=store)
    assert ex.status == "SUCCEEDED", ex.cause
    assert ex.output == []


def test_load_and_flatten_reads_each_object_as_the_input_type_says() -> None:
    """JSON Lines and CSV objects, each CSV object with its own header row; without a Prefix
    the whole bucket is listed."""
    store = DictStore({(BUCKET, "a.jsonl"): FACTS_JSONL, (BUCKET, "b.jsonl"): '{"n": 1}\n'})
    ex = run(machine(Map=dmap(ItemReader=lister("JSONL", None))), objects=store)
    assert ex.output == [*FACTS, {"n": 1}]
    store = DictStore({(BUCKET, "a.csv"): "x,y\n1,2\n", (BUCKET, "b.csv"): "y,x\n3,4\n"})
    spec = dmap(ItemReader=lister("CSV", "", CSVHeaderLocation="FIRST_ROW"))
    ex = run(machine(Map=spec), objects=store)
    assert ex.output == [{"x": "1", "y": "2"}, {"y": "3", "x": "4"}]


def test_load_and_flatten_max_items_stops_reading_objects() -> None:
    """MaxItems counts the items of all the objects, and no object past them is read (the
    last one here cannot be)."""
    store = DictStore(
        {
            (BUCKET, "p/0.json"): json.dumps([0, 1]),
            (BUCKET, "p/1.json"): json.dumps([2, 3]),
            (BUCKET, "p/2.json"): "not json",
        }
    )
    ex = run(machine(Map=dmap(ItemReader=lister("JSON", "p/", MaxItems=3))), objects=store)
    assert ex.status == "SUCCEEDED", ex.cause
    assert ex.output == [0, 1, 2]


class UnlistableStore(DictStore):
    def list_keys(self, bucket: str, prefix: str) -> list[str]:
        raise PermissionError("AccessDenied")


def test_a_listing_or_an_object_that_fails_fails_with_item_reader_failed() -> None:
    spec = dmap(ItemReader=lister("JSON", "p/"))
    ex = run(machine(Map=spec), objects=UnlistableStore())
    assert ex.error == "States.ItemReaderFailed"
    assert "Unable to list the objects with prefix 'p/'" in ex.cause and "AccessDenied" in ex.cause
    ex = run(machine(Map=spec), objects=DictStore({(BUCKET, "p/0.json"): "{}"}))
    assert ex.error == "States.ItemReaderFailed"
    assert f"s3://{BUCKET}/p/0.json must hold a JSON array" in ex.cause


def test_prefix_from_a_path() -> None:
    store = DictStore({(BUCKET, "in/1.json"): "[1]", (BUCKET, "out/1.json"): "[2]"})
    reader_spec = lister("JSON", None)
    reader_spec["Parameters"] = {"Bucket": BUCKET, "Prefix.$": "$.where"}
    ex = run(machine(Map=dmap(ItemReader=reader_spec)), {"where": "in/"}, objects=store)
    assert ex.output == [1]
    ex = run(machine(Map=dmap(ItemReader=reader_spec)), {"where": 1}, objects=store)
    assert ex.error == "States.ItemReaderFailed"
    assert "Prefix a string" in ex.cause


# -- ResultWriter ----------------------------------------------------------------------------------
def exported(
    spec: dict[str, Any], input: Any, store: DictStore | None = None, **kw: Any
) -> tuple[Any, DictStore, str]:
    """Run a one-state machine named csvProcess (the guide's); the run's UUID comes back."""
    store = store or DictStore()
    ex = run(machine(Map=spec), input, objects=store, state_machine_name="csvProcess", **kw)
    arn = next(e.details["mapRunArn"] for e in ex.events if e.type == "MapRunStarted")
    found = re.fullmatch(
        rf"arn:aws:states:us-east-1:123456789012:mapRun:csvProcess/Map:({UUID})", arn
    )
    assert found, arn
    return ex, store, found.group(1)


def test_export_writes_succeeded_file_and_manifest() -> None:
    """The state's result is the guide's `{"MapRunArn": "arn:aws:states:<region>:<account-id>:
    mapRun:csvProcess/Map:<id>", "ResultWriterDetails": {"Bucket": ..., "Key":
    "csvProcessJobs/<id>/manifest.json"}}`; the records are the NONE transformation's."""
    ex, store, run_id = exported(dmap(ResultWriter=writer()), ORDERS)
    assert ex.status == "SUCCEEDED", ex.cause
    arn = f"arn:aws:states:us-east-1:123456789012:mapRun:csvProcess/Map:{run_id}"
    manifest_key = f"csvProcessJobs/{run_id}/manifest.json"
    assert ex.output == {
        "MapRunArn": arn,
        "ResultWriterDetails": {"Bucket": DESTINATION, "Key": manifest_key},
    }
    succeeded_key = f"csvProcessJobs/{run_id}/SUCCEEDED_0.json"
    # No failed or pending children: no FAILED_0.json or PENDING_0.json.
    assert store.keys(DESTINATION) == {succeeded_key, manifest_key}
    body = store.objects[(DESTINATION, succeeded_key)]
    assert store.json(DESTINATION, manifest_key) == {
        "DestinationBucket": DESTINATION,
        "MapRunArn": arn,
        "ResultFiles": {
            "FAILED": [],
            "PENDING": [],
            "SUCCEEDED": [{"Key": succeeded_key, "Size": len(body.encode("utf-8"))}],
        },
    }
    records = json.loads(body)
    assert len(records) == 2
    first = records[0]
    # The guide's record, field by field, in its order.
    assert list(first) == [
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
    ]
    assert re.fullmatch(UUID, first["Name"])
    assert first["ExecutionArn"] == (
        f"arn:aws:states:us-east-1:123456789012:execution:csvProcess/Map:{first['Name']}"
    )
    assert (
        first["StateMachineArn"]
        == "arn:aws:states:us-east-1:123456789012:stateMachine:csvProcess/Map"
    )
    # "Output": "[{\"customer_id\":\"145538\",\"order_id\":\"100000\"},{\"customer_id\":...
    assert first["Output"] == (
        '[{"customer_id":"145538","order_id":"100000"},'
        '{"customer_id":"898037","order_id":"100001"}]'
    )
    assert json.loads(first["Input"]) == ORDERS[0]
    assert first["InputDetails"] == first["OutputDetails"] == {"Included": True}
    assert first["RedriveCount"] == 0
    assert first["RedriveStatus"] == "NOT_REDRIVABLE"
    assert first["RedriveStatusReason"] == "Execution is SUCCEEDED and cannot be redriven"
    assert first["Status"] == "SUCCEEDED"
    assert re.fullmatch(DATE, first["StartDate"]) and re.fullmatch(DATE, first["StopDate"])
    # In item order, each child its own execution.
    assert [json.loads(r["Input"]) for r in records] == ORDERS
    assert records[0]["Name"] != records[1]["Name"]


def test_result_selector_and_result_path_apply_to_the_export_result() -> None:
    spec = dmap(
        ItemsPath="$.items",
        ResultWriter=writer(),
        ResultSelector={"manifest.$": "$.ResultWriterDetails.Key"},
        ResultPath="$.exported",
    )
    ex, _, run_id = exported(spec, {"items": ORDERS})
    assert ex.output == {
        "items": ORDERS,
        "exported": {"manifest": f"csvProcessJobs/{run_id}/manifest.json"},
    }


@pytest.mark.parametrize(
    ("prefix", "folder"),
    [("csvProcessJobs", "csvProcessJobs/"), ("jobs/", "jobs/"), ("", "")],
)
def test_prefix_gets_one_slash(prefix: str, folder: str) -> None:
    ex, store, run_id = exported(dmap(ResultWriter=writer(prefix)), [1])
    assert ex.output["ResultWriterDetails"]["Key"] == f"{folder}{run_id}/manifest.json"
    assert store.keys(DESTINATION) == {
        f"{folder}{run_id}/manifest.json",
        f"{folder}{run_id}/SUCCEEDED_0.json",
    }


def test_bucket_and_prefix_from_paths() -> None:
    spec = dmap(
        ResultWriter={
            "Resource": PUT,
            "Parameters": {"Bucket.$": "$.out.bucket", "Prefix.$": "$.out.prefix"},
        },
        ItemsPath="$.items",
    )
    ex, store, run_id = exported(spec, {"items": [1], "out": {"bucket": "b2", "prefix": "p"}})
    assert ex.output["ResultWriterDetails"] == {"Bucket": "b2", "Key": f"p/{run_id}/manifest.json"}
    assert store.json("b2", f"p/{run_id}/SUCCEEDED_0.json")[0]["Output"] == "1"


def test_compact_transformation_file() -> None:
    """COMPACT: "the combined output of the child workflow executions with the original array
    structure"."""
    spec = dmap(ResultWriter=writer(Transformation="COMPACT", OutputType="JSON"))
    ex, store, run_id = exported(spec, ORDERS)
    assert store.json(DESTINATION, f"csvProcessJobs/{run_id}/SUCCEEDED_0.json") == [
        [
            {"customer_id": "145538", "order_id": "100000"},
            {"customer_id": "898037", "order_id": "100001"},
        ],
        [
            {"customer_id": "169881", "order_id": "100005"},
            {"customer_id": "797471", "order_id": "100006"},
        ],
    ]


def test_flatten_transformation_file() -> None:
    """FLATTEN: "the combined output of the child workflow executions arrays flattened into one
    array"."""
    spec = dmap(ResultWriter=writer(Transformation="FLATTEN", OutputType="JSON"))
    ex, store, run_id = exported(spec, [*ORDERS, "not an array"])
    assert store.json(DESTINATION, f"csvProcessJobs/{run_id}/SUCCEEDED_0.json") == [
        {"customer_id": "145538", "order_id": "100000"},
        {"customer_id": "898037", "order_id": "100001"},
        {"customer_id": "169881", "order_id": "100005"},
        {"customer_id": "797471", "order_id": "100006"},
        "not an array",
    ]


def test_jsonl_output_type() -> None:
    """OutputType JSONL "formats the results as JSON Lines": one result per line."""
    spec = dmap(ResultWriter=writer(Transformation="COMPACT", OutputType="JSONL"))
    ex, store, run_id = exported(spec, ORDERS)
    body = store.objects[(DESTINATION, f"csvProcessJobs/{run_id}/SUCCEEDED_0.json")]
    assert [json.loads(line) for line in body.splitlines()] == ORDERS
    manifest = store.json(DESTINATION, f"csvProcessJobs/{run_id}/manifest.json")
    assert manifest["ResultFiles"]["SUCCEEDED"][0]["Size"] == len(body.encode("utf-8"))


def test_writer_config_only_previews_the_transformed_results() -> None:
    """ "WriterConfig - to preview the formatted output, without saving the results to Amazon
    S3": the state output is the FLATTEN example's array, and nothing is written."""
    store = DictStore()
    spec = dmap(ResultWriter={"WriterConfig": {"Transformation": "FLATTEN", "OutputType": "JSON"}})
    ex = run(machine(Map=spec), ORDERS, objects=store)
    assert ex.output == [
        {"customer_id": "145538", "order_id": "100000"},
        {"customer_id": "898037", "order_id": "100001"},
        {"customer_id": "169881", "order_id": "100005"},
        {"customer_id": "797471", "order_id": "100006"},
    ]
    assert store.objects == {}


def fail_on(*bad: int) -> Any:
    """An invoker that fails for the items in `bad` (their own error, as Lambda reports it)."""

    def invoke(name: str, payload: Any) -> Any:
        if payload in bad:
            raise LambdaFunctionError("OrderError", f"order {payload} is bad")
        return payload

    return invoke


def test_tolerated_failures_go_to_failed_file() -> None:
    """ "FAILED_n.json – Contains the consolidated data for all failed, timed out, and aborted
    child workflow executions"; failed children are written unchanged (as with NONE), with their
    Error and Cause."""
    spec = dmap(task(), ResultWriter=writer(Transformation="COMPACT"), ToleratedFailureCount=1)
    ex, store, run_id = exported(spec, [10, 11, 12], invoke=fail_on(11))
    assert ex.status == "SUCCEEDED", ex.cause
    folder = f"csvProcessJobs/{run_id}/"
    assert store.json(DESTINATION, folder + "SUCCEEDED_0.json") == [10, 12]
    [failed] = store.json(DESTINATION, folder + "FAILED_0.json")
    assert failed["Status"] == "FAILED"
    assert failed["Error"] == "OrderError" and failed["Cause"] == "order 11 is bad"
    assert json.loads(failed["Input"]) == 11
    assert "Output" not in failed
    manifest = store.json(DESTINATION, folder + "manifest.json")
    assert [f["Key"] for f in manifest["ResultFiles"]["FAILED"]] == [folder + "FAILED_0.json"]
    assert manifest["ResultFiles"]["PENDING"] == []


def test_a_failing_run_still_writes_its_files_then_fails() -> None:
    """The run exceeds its tolerated failures: succeeded, failed and never-started children are
    exported ("PENDING_n.json – ... child workflow executions that weren't started because the
    Map Run failed") before the state fails with States.ExceedToleratedFailureThreshold.
    (The guide does not show a pending record; it holds the item's input and PENDING.)"""
    spec = dmap(task(), ResultWriter=writer(), MaxConcurrency=1)
    ex, store, run_id = exported(spec, [0, 1, 2, 3], invoke=fail_on(1))
    assert ex.status == "FAILED"
    assert ex.error == "States.ExceedToleratedFailureThreshold"
    folder = f"csvProcessJobs/{run_id}/"
    assert [
        json.loads(r["Input"]) for r in store.json(DESTINATION, folder + "SUCCEEDED_0.json")
    ] == [0]
    [failed] = store.json(DESTINATION, folder + "FAILED_0.json")
    assert (failed["Error"], json.loads(failed["Input"])) == ("OrderError", 1)
    pending = store.json(DESTINATION, folder + "PENDING_0.json")
    assert [json.loads(r["Input"]) for r in pending] == [2, 3]
    assert all(r["Status"] == "PENDING" for r in pending)
    files = store.json(DESTINATION, folder + "manifest.json")["ResultFiles"]
    assert {status: [f["Key"] for f in entries] for status, entries in files.items()} == {
        "FAILED": [folder + "FAILED_0.json"],
        "PENDING": [folder + "PENDING_0.json"],
        "SUCCEEDED": [folder + "SUCCEEDED_0.json"],
    }
    types = [e.type for e in ex.events]
    assert "MapRunFailed" in types and "MapStateFailed" in types


def test_children_running_when_the_run_fails_are_aborted() -> None:
    """ "FAILED_n.json" also holds "aborted child workflow executions": a child still running when
    the run fails is stopped (MapRunExecutionCounts.aborted: "stopped ... by Step Functions
    because the Map Run failed"); an aborted execution has no Error or Cause."""
    release = threading.Event()

    def invoke(name: str, payload: Any) -> Any:
        if payload == 1:
            time.sleep(0.05)  # the slow child is running by now
            raise LambdaFunctionError("OrderError", "order 1 is bad")
        release.wait(5)
        return payload

    spec = dmap(task(), ResultWriter=writer(), MaxConcurrency=2)
    try:
        ex, store, run_id = exported(spec, [0, 1], invoke=invoke)
    finally:
        release.set()
    assert ex.error == "States.ExceedToleratedFailureThreshold"
    records = store.json(DESTINATION, f"csvProcessJobs/{run_id}/FAILED_0.json")
    assert [(json.loads(r["Input"]), r["Status"]) for r in records] == [
        (0, "ABORTED"),
        (1, "FAILED"),
    ]
    assert "Error" not in records[0] and records[1]["Error"] == "OrderError"


def test_writer_config_only_keeps_failed_children_unchanged() -> None:
    """ "If a child workflow execution fails, Step Functions returns its execution result
    unchanged. The results would be equivalent to having set Transformation to NONE." """
    spec = dmap(
        task(),
        ResultWriter={"WriterConfig": {"Transformation": "COMPACT"}},
        ToleratedFailureCount=1,
    )
    ex = run(machine(Map=spec), [10, 11], invoke=fail_on(11), objects=DictStore())
    assert ex.output[0] == 10
    failed = ex.output[1]
    assert (failed["Status"], failed["Error"], failed["Cause"]) == (
        "FAILED",
        "OrderError",
        "order 11 is bad",
    )
    assert json.loads(failed["Input"]) == 11


def test_put_failure_fails_with_result_writer_failed() -> None:
    ex, _, _ = exported(dmap(ResultWriter=writer()), [1], store=ReadOnlyStore())
    assert ex.error == "States.ResultWriterFailed"
    assert DESTINATION in ex.cause and "AccessDenied" in ex.cause


def test_label_names_the_map_run() -> None:
    """ "arn:aws:states:<region>:<account-id>:mapRun:demoWorkflow/demoLabel:<id>"."""
    store = DictStore()
    ex = run(
        machine(Map=dmap(Label="demoLabel", ResultWriter=writer())),
        [1],
        objects=store,
        state_machine_name="demoWorkflow",
    )
    arn = ex.output["MapRunArn"]
    assert re.fullmatch(
        rf"arn:aws:states:us-east-1:123456789012:mapRun:demoWorkflow/demoLabel:{UUID}", arn
    )
    key = ex.output["ResultWriterDetails"]["Key"].replace("manifest.json", "SUCCEEDED_0.json")
    [record] = store.json(DESTINATION, key)
    assert record["StateMachineArn"].endswith(":stateMachine:demoWorkflow/demoLabel")
    assert ":execution:demoWorkflow/demoLabel:" in record["ExecutionArn"]


def test_reader_and_writer_together() -> None:
    store = DictStore({(BUCKET, "jsonDataset/factcheck.json"): json.dumps(FACTS)})
    spec = dmap(
        ItemReader=reader("JSON", "jsonDataset/factcheck.json"),
        ResultWriter=writer(Transformation="COMPACT"),
    )
    ex, store, run_id = exported(spec, {}, store=store)
    assert store.json(DESTINATION, f"csvProcessJobs/{run_id}/SUCCEEDED_0.json") == FACTS


def test_twenty_thousand_items_never_make_a_state_output_over_256_kib() -> None:
    """The point of exporting: the results of 20,000 children stay out of the state output
    ("Exporting the results to an Amazon S3 bucket is helpful if your output payload size
    exceeds 256 KiB")."""
    items = [{"id": i, "payload": "x" * 20} for i in range(20_000)]
    store = DictStore({(BUCKET, "big.jsonl"): "".join(json.dumps(i) + "\n" for i in items)})
    spec = dmap(ItemReader=reader("JSONL", "big.jsonl"), ResultWriter=writer())
    ex, store, run_id = exported(spec, {}, store=store)
    assert ex.status == "SUCCEEDED", ex.cause
    largest = max(payload_size(e.details.get("output", "")) for e in ex.events)
    assert largest <= 256 * 1024
    records = store.json(DESTINATION, f"csvProcessJobs/{run_id}/SUCCEEDED_0.json")
    assert len(records) == 20_000
    assert json.loads(records[-1]["Output"]) == items[-1]


# -- ItemBatcher -----------------------------------------------------------------------------------
def test_batch_input_and_items_per_batch() -> None:
    """With `"BatchInput": {"factCheck": "December 2022"}` "Each child workflow execution
    receives the following as input: {"BatchInput": {"factCheck": "December 2022"}, "Items":
    [...]}" — with items read by an ItemReader."""
    store = DictStore({(BUCKET, "jsonDataset/factcheck.json"): json.dumps(FACTS)})
    spec = dmap(
        ItemReader=reader("JSON", "jsonDataset/factcheck.json"),
        ItemBatcher={"MaxItemsPerBatch": 2, "BatchInput": {"factCheck": "December 2022"}},
    )
    ex = run(machine(Map=spec), objects=store)
    assert ex.output == [
        {"BatchInput": {"factCheck": "December 2022"}, "Items": FACTS[:2]},
        {"BatchInput": {"factCheck": "December 2022"}, "Items": FACTS[2:]},
    ]


def test_1130_items_by_100_make_12_batches() -> None:
    """ "imagine you run an execution with an input JSON file that contains 1130 nodes. If you
    specify a maximum items value for each batch of 100, Step Functions creates 12 batches. Of
    these, 11 batches contain 100 items each, while the twelfth batch contains the remaining 30
    items." Without BatchInput a child's input is `{"Items": [...]}`."""
    ex = run(machine(Map=dmap(ItemBatcher={"MaxItemsPerBatch": 100})), list(range(1130)))
    assert [len(batch["Items"]) for batch in ex.output] == [100] * 11 + [30]
    assert [list(batch) for batch in ex.output] == [["Items"]] * 12
    assert [i for batch in ex.output for i in batch["Items"]] == list(range(1130))


def test_max_input_bytes_per_batch_bounds_each_child_input() -> None:
    """ "Specifies the maximum size of a batch in bytes": each child's input fits, and no batch
    could have taken its successor's first item."""
    items = ["x" * 8] * 10  # 10 bytes of JSON each
    limit = 45
    ex = run(machine(Map=dmap(ItemBatcher={"MaxInputBytesPerBatch": limit})), items)
    sizes = [len(json.dumps(batch, separators=(",", ":"))) for batch in ex.output]
    assert all(size <= limit for size in sizes)
    assert all(size + 11 > limit for size in sizes[:-1])  # one more item (",..." 11 bytes)
    assert sum(len(batch["Items"]) for batch in ex.output) == 10


def test_batch_paths_and_a_dynamic_batch_input() -> None:
    """`"MaxItemsPerBatchPath": "$.maxBatchItems"` (the guide's example) and a BatchInput with a
    path, as the Step Functions workshop's `"bucket.$": "$.bucket"`."""
    spec = dmap(
        ItemsPath="$.items",
        ItemBatcher={
            "MaxItemsPerBatchPath": "$.maxBatchItems",
            "MaxInputBytesPerBatchPath": "$.batchSize",
            "BatchInput": {"bucket.$": "$.bucket"},
        },
    )
    ex = run(
        machine(Map=spec),
        {"items": [1, 2, 3], "maxBatchItems": 2, "batchSize": 131072, "bucket": "b"},
    )
    assert ex.output == [
        {"BatchInput": {"bucket": "b"}, "Items": [1, 2]},
        {"BatchInput": {"bucket": "b"}, "Items": [3]},
    ]
    too_big = run(
        machine(Map=spec),
        {"items": [1], "maxBatchItems": 2, "batchSize": 262145, "bucket": "b"},
    )
    assert too_big.error == "States.Runtime" and "MaxInputBytesPerBatchPath" in too_big.cause


def test_batches_are_exported_as_child_inputs() -> None:
    spec = dmap(ItemBatcher={"MaxItemsPerBatch": 2}, ResultWriter=writer())
    ex, store, run_id = exported(spec, [1, 2, 3])
    records = store.json(DESTINATION, f"csvProcessJobs/{run_id}/SUCCEEDED_0.json")
    assert [json.loads(r["Input"]) for r in records] == [{"Items": [1, 2]}, {"Items": [3]}]


# -- definitions refused ---------------------------------------------------------------------------
def refused(spec: dict[str, Any], message: str, fact: str) -> Any:
    return pytest.param(machine(Map=spec), message, id=fact)


REFUSED = [
    refused(
        dmap(ItemReader={"Resource": LIST, "Parameters": {"Bucket": "b"}}),
        "without ReaderConfig.Transformation LOAD_AND_FLATTEN (iterating over the objects' "
        "metadata) is not supported locally",
        "listObjectsV2 of the objects' metadata is not supported locally",
    ),
    refused(
        dmap(ItemReader=reader("JSON", "k", Transformation="LOAD_AND_FLATTEN")),
        "Transformation goes with Resource arn:aws:states:::s3:listObjectsV2 only",
        "Transformation only when listing",
    ),
    refused(
        dmap(ItemReader=lister("JSON", "p", Transformation="FLATTEN")),
        "Transformation must be one of NONE, LOAD_AND_FLATTEN",
        "Transformation values",
    ),
    refused(
        dmap(ItemReader={**lister("JSON", "p"), "Parameters": {"Bucket": "b", "Key": "k"}}),
        "unknown field 'Key' (allowed: Bucket, Prefix)",
        "a listing has a Prefix, not a Key",
    ),
    refused(
        dmap(ItemReader={**lister("JSON", "p"), "Parameters": {"Prefix": "p"}}),
        "give Bucket (or Bucket.$) exactly once",
        "a listing names its Bucket",
    ),
    refused(
        dmap(ItemReader={"Resource": PUT, "Parameters": {"Bucket": "b", "Key": "k"}}),
        "Resource must be arn:aws:states:::s3:getObject or arn:aws:states:::s3:listObjectsV2",
        "ItemReader Resources",
    ),
    refused(
        dmap(ItemReader=reader("MANIFEST", "manifest.json")),
        "InputType MANIFEST is not supported locally",
        "MANIFEST is not supported locally",
    ),
    refused(
        dmap(ItemReader=reader("PARQUET", "data.parquet")),
        "InputType PARQUET is not supported locally",
        "PARQUET is not supported locally",
    ),
    refused(
        dmap(ItemReader=reader("XML", "data.xml")),
        "InputType must be one of CSV, JSON, JSONL, PARQUET, MANIFEST",
        "InputType is one of the guide's",
    ),
    refused(
        dmap(ItemReader={"Resource": GET, "Parameters": {"Bucket": "b", "Key": "k"}}),
        "InputType (JSON, JSONL or CSV) is required",
        "InputType is required with getObject",
    ),
    refused(
        dmap(ItemReader=reader("JSON", "k"), ItemsPath="$.items"),
        "ItemsPath selects items in the state input, and this Map reads them with an ItemReader",
        "ItemsPath only with a JSON input from a previous state",
    ),
    refused(
        dmap(ItemReader=reader("CSV", "k")),
        "InputType CSV needs a CSVHeaderLocation",
        "a CSV file needs a column header",
    ),
    refused(
        dmap(ItemReader=reader("CSV", "k", CSVHeaderLocation="GIVEN")),
        "CSVHeaderLocation GIVEN needs CSVHeaders",
        "GIVEN headers are in CSVHeaders",
    ),
    refused(
        dmap(ItemReader=reader("JSON", "k", CSVDelimiter="PIPE")),
        "CSVDelimiter is for InputType CSV only",
        "CSVDelimiter only with CSV",
    ),
    refused(
        dmap(ItemReader=reader("CSV", "k", CSVHeaderLocation="FIRST_ROW", CSVDelimiter="COLON")),
        "CSVDelimiter must be one of COMMA, PIPE, SEMICOLON, SPACE, TAB",
        "CSVDelimiter values",
    ),
    refused(
        dmap(ItemReader=reader("JSON", "k", MaxItems=100_000_001)),
        "MaxItems must be an integer from 1 to 100000000",
        "MaxItems up to 100,000,000",
    ),
    refused(
        dmap(ItemReader=reader("JSON", "k", MaxItems=0)),
        "MaxItems must be an integer from 1 to 100000000",
        "MaxItems is positive",
    ),
    refused(
        dmap(ItemReader=reader("JSON", "k", MaxItems=1, MaxItemsPath="$.n")),
        "one of MaxItems, MaxItemsPath",
        "not both MaxItems and MaxItemsPath",
    ),
    refused(
        dmap(ItemReader=reader("JSON", "k", MaxItem=1)),
        "unknown field 'MaxItem'",
        "ReaderConfig fields are checked",
    ),
    refused(
        dmap(ItemReader=reader("JSON", "k", ItemsPointer="/a")),
        "ItemsPointer is not supported locally",
        "ItemsPointer is not supported locally",
    ),
    refused(
        dmap(
            ItemReader={
                "Resource": GET,
                "ReaderConfig": {"InputType": "JSON"},
                "Parameters": {"Bucket": "b", "Key": "k", "VersionId": "v"},
            }
        ),
        "VersionId is not supported locally",
        "VersionId is not supported locally",
    ),
    refused(
        dmap(ItemReader={"Resource": GET, "ReaderConfig": {"InputType": "JSON"}}),
        "Parameters with Bucket and Key is required",
        "the object is named",
    ),
    refused(
        dmap(ResultWriter={}),
        "give WriterConfig, Resource and Parameters, or all three (got an empty ResultWriter)",
        "The ResultWriter field cannot be empty",
    ),
    refused(
        dmap(ResultWriter={"Resource": PUT}),
        "give WriterConfig, Resource and Parameters, or all three (got Resource)",
        "Resource needs Parameters",
    ),
    refused(
        dmap(ResultWriter={"Parameters": {"Bucket": "b"}, "WriterConfig": {}}),
        "give WriterConfig, Resource and Parameters, or all three",
        "Parameters needs Resource",
    ),
    refused(
        dmap(ResultWriter={"Resource": "arn:aws:states:::s3:getObject", "Parameters": {}}),
        "Resource must be arn:aws:states:::s3:putObject",
        "ResultWriter exports with putObject",
    ),
    refused(
        dmap(ResultWriter={"WriterConfig": {"Transformation": "SQUASH"}}),
        "Transformation must be one of NONE, COMPACT, FLATTEN",
        "Transformation values",
    ),
    refused(
        dmap(ResultWriter={"WriterConfig": {"OutputType": "CSV"}}),
        "OutputType must be one of JSON, JSONL",
        "OutputType values",
    ),
    refused(
        dmap(ResultWriter={"Resource": PUT, "Parameters": {"Prefix": "p"}}),
        "give Bucket (or Bucket.$) once",
        "the bucket is named",
    ),
    refused(
        dmap(ItemBatcher={"BatchInput": {"a": 1}}),
        "give at least one of MaxItemsPerBatch, MaxItemsPerBatchPath, MaxInputBytesPerBatch",
        "a batcher needs a limit",
    ),
    refused(
        dmap(ItemBatcher={"MaxItemsPerBatch": 2, "MaxItems": 3}),
        "unknown field 'MaxItems'",
        "ItemBatcher fields are checked",
    ),
    refused(
        dmap(ItemBatcher={"MaxInputBytesPerBatch": 262_145}),
        "MaxInputBytesPerBatch must be an integer from 1 to 262144",
        "MaxInputBytesPerBatch up to 256 KiB",
    ),
    refused(
        dmap(ItemBatcher={"MaxItemsPerBatch": 0}),
        "MaxItemsPerBatch must be an integer",
        "MaxItemsPerBatch is positive",
    ),
    refused(
        dmap(ItemBatcher={"MaxItemsPerBatch": 2, "MaxItemsPerBatchPath": "$.n"}),
        "one of MaxItemsPerBatch, MaxItemsPerBatchPath",
        "not both MaxItemsPerBatch and MaxItemsPerBatchPath",
    ),
    refused(
        dmap(ItemBatcher={"MaxItemsPerBatch": 2, "BatchInput": [1]}),
        "BatchInput must be an object",
        "BatchInput is a payload template",
    ),
    refused(dmap(Label="x" * 41), "Label must be 1 to 40 characters", "Label: 40 characters"),
    refused(dmap(Label="a:b"), "Label must be", "Label: no special characters"),
    refused(dmap(Label="a b"), "Label must be", "Label: no whitespace"),
]


@pytest.mark.parametrize(("definition", "message"), REFUSED)
def test_refused(definition: dict[str, Any], message: str) -> None:
    with pytest.raises(DefinitionError, match=re.escape(message)):
        compile_definition(definition)


def test_object_store_is_exported() -> None:
    store: ObjectStore = DictStore()
    store.put_object("b", "k", "v")
    assert store.get_object("b", "k") == "v"
    assert store.list_keys("b", "") == ["k"]
