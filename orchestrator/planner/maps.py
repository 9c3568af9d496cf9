"""Where a `.map`'s items come from and where its results go: state document or S3.

The graph decides each map's mode (`orchestrator/graph/map_mode.py`); this module decides its
data path, so that no state document approaches Step Functions' 256 KiB:

* A Distributed Map exports its children's results with a `ResultWriter` to the results bucket
  (`${ResultsBucketName}`, under the flow's prefix), and its value in the document becomes a
  reference to the export's `manifest.json` (`runtime/map_results.py` reads it back, in item
  order, for whichever handler receives it).
* A Distributed Map over one task's whole result reads its items with an `ItemReader`: the
  producing task always stores its result (payload `"store": true`) and passes the reference,
  whose bucket and key the reader takes. Over another Distributed Map's results, it lists that
  map's succeeded children's files (`s3:listObjectsV2`, `<prefix>/<run>/SUCCEEDED_`), reads
  the records in all of them (`LOAD_AND_FLATTEN`) and decodes each child's `Output`. AWS writes
  a status's file only when children ended in it ("ResultWriter (Map)"), so an export of no
  item has no `SUCCEEDED_0.json`: the listing is empty and so is the reading map, with no
  Choice state to guard it; a large export split into `SUCCEEDED_0.json`, `SUCCEEDED_1.json`,
  ... is read whole. Failed children (`FAILED_n.json`, a map that tolerates failures) are not
  read: the downstream map runs over the succeeded items only.
* Everything the state machine itself must read stays in the document: the lists an inline Map
  or a zip iterates, a part of a result selected by a path, and — in a flow with triggers, cases
  or reference tasks, whose Choice states count items — every result.
"""

from __future__ import annotations

from dataclasses import field
from typing import Any

from orchestrator.contract import (
    MAP_RESULTS_FIELD,
    MAP_SOURCE_FIELD,
    REF_BUCKET_FIELD,
    REF_KEY,
    REF_OBJECT_FIELD,
    REF_PREFIX_FIELD,
    RESULTS_BUCKET_SUBSTITUTION,
    map_results_prefix,
    substitution,
)
from orchestrator.engine.spec import S3_GET_OBJECT, S3_LIST_OBJECTS_V2, S3_PUT_OBJECT
from orchestrator.graph import FlowGraph, ResultInput, TaskNode, references
from orchestrator.planner.fusion import Fusion, fusion_lines
from orchestrator.planner.paths import result_path
from orchestrator.records import record

#: The start of the names of a map run's files of succeeded children: `SUCCEEDED_0.json`, and
#: past 5 GB `SUCCEEDED_1.json`, ... ("ResultWriter (Map)").
SUCCEEDED_FILES = "SUCCEEDED_"


@record
class MapIO:
    """Where each map's data goes: the results it writes to S3, the items it reads."""

    #: Distributed Maps exporting their results to S3.
    writes: set[str] = field(default_factory=set)
    #: Distributed Maps reading their items with an ItemReader → the task whose result they read.
    reads: dict[str, str] = field(default_factory=dict)
    #: Tasks that always store their result, for a reader.
    stored: set[str] = field(default_factory=set)
    #: Tasks whose result the state machine reads itself: they never offload.
    inline: set[str] = field(default_factory=set)


def plan_map_io(graph: FlowGraph, controlled: bool, fusion: Fusion | None = None) -> MapIO:
    """A fused chain's Map reads its first task's items and writes its last task's results
    (`planner/fusion.py`): the lists inside the chain never reach the document."""
    fusion = fusion or Fusion()
    followers = {m for chain in fusion.chains.values() for m in chain[1:]}
    nodes = {n.id: n for n in graph.nodes}
    path_read: set[str] = set()  # a part of the result is selected in the document
    values = [v for n in graph.nodes for v in (*n.inputs.values(), *n.mapped.values())]
    if graph.output is not None:
        values.append(graph.output)
    for value in values:
        if type(value) is ResultInput:  # most inputs: no need to walk into it
            if value.path:
                path_read.add(value.node)
        else:
            path_read |= {
                r.node for r in references(value) if isinstance(r, ResultInput) and r.path
            }
    item_sources: dict[str, str | None] = {}  # map → the one whole result it iterates, if any
    listed: set[str] = set()  # results some Map's ItemsPath (or a zip) reads in the document
    for node in graph.nodes:
        if node.id in followers or not node.mapped:
            continue
        sources = [v for v in node.mapped.values() if isinstance(v, ResultInput)]
        whole = len(node.mapped) == 1 and len(sources) == 1 and not sources[0].path
        # A batched map's exported children each hold a list of results: not items to read.
        batched = whole and bool(nodes[sources[0].node].options.batch_size)
        readable = whole and node.options.distributed and not batched
        item_sources[node.id] = sources[0].node if readable else None
        if item_sources[node.id] is None:
            listed |= {v.node for v in sources}
    io = MapIO()
    if controlled:
        # Gates and the final Choice count items of mapped results with JSONPath filters.
        io.inline = path_read | listed | {v for v in item_sources.values() if v}
        return io
    io.writes = {
        n.id
        for n in graph.nodes
        if n.is_map
        and n.options.distributed
        and n.id not in path_read | listed
        and n.id not in fusion.inner
    }
    for map_id, source in item_sources.items():
        if source is None:
            continue
        producer = nodes[source]
        if producer.is_map and source in io.writes:
            io.reads[map_id] = source
        elif not producer.is_map and source not in path_read | listed:
            io.reads[map_id] = source
            io.stored.add(source)
        else:
            listed.add(source)
    io.inline = path_read | listed
    return io


def results_reference(flow: str, node: TaskNode) -> dict[str, Any]:
    """The map's value in the document: a reference to its exported results, built from the
    `{"MapRunArn", "ResultWriterDetails": {"Bucket", "Key"}}` a ResultWriter returns. The key
    is `<prefix>/<map run id>/manifest.json`; its SUCCEEDED_n.json files, if any, are beside it."""
    prefix = map_results_prefix(flow, node.id)
    details = "$.ResultWriterDetails"
    run_id = f"States.ArrayGetItem(States.StringSplit({details}.Key, '/'), {prefix.count('/') + 1})"
    return {
        f"{REF_KEY}.$": f"States.Format('s3://{{}}/{{}}', {details}.Bucket, {details}.Key)",
        MAP_RESULTS_FIELD: "batches" if node.options.batch_size else "items",
        f"{REF_BUCKET_FIELD}.$": f"{details}.Bucket",
        f"{REF_PREFIX_FIELD}.$": f"States.Format('{prefix}/{{}}/{SUCCEEDED_FILES}', {run_id})",
    }


def result_writer(flow: str, node: TaskNode) -> dict[str, Any]:
    return {
        "Resource": S3_PUT_OBJECT,
        "Parameters": {
            "Bucket": substitution(RESULTS_BUCKET_SUBSTITUTION),
            "Prefix": map_results_prefix(flow, node.id),
        },
    }


def item_reader(producer: str, exported: bool) -> dict[str, Any]:
    """Read the items from the stored result of `producer`, or from the records in all its
    SUCCEEDED_n.json files (none when no child succeeded) when it is an exporting map."""
    bucket = result_path(producer, [REF_BUCKET_FIELD])
    if not exported:
        return {
            "Resource": S3_GET_OBJECT,
            "ReaderConfig": {"InputType": "JSON"},
            "Parameters": {"Bucket.$": bucket, "Key.$": result_path(producer, [REF_OBJECT_FIELD])},
        }
    return {
        "Resource": S3_LIST_OBJECTS_V2,
        "ReaderConfig": {"InputType": "JSON", "Transformation": "LOAD_AND_FLATTEN"},
        "Parameters": {"Bucket.$": bucket, "Prefix.$": result_path(producer, [REF_PREFIX_FIELD])},
    }


def read_item(from_map: bool) -> dict[str, str]:
    """The ItemSelector entries of a read item: the value, and for another map's exported child
    record, that child's input (its index orders the results)."""
    if not from_map:
        return {"value": "$$.Map.Item.Value"}
    return {
        "value": "States.StringToJson($$.Map.Item.Value.Output)",
        MAP_SOURCE_FIELD: "$$.Map.Item.Value.Input",
    }


def distributed_fields(node: TaskNode) -> dict[str, Any]:
    """Tolerated failures and batching: fields of a Distributed Map only."""
    options = node.options
    fields: dict[str, Any] = {}
    if options.tolerated_failure_count is not None:
        fields["ToleratedFailureCount"] = options.tolerated_failure_count
    if options.tolerated_failure_percentage is not None:
        fields["ToleratedFailurePercentage"] = options.tolerated_failure_percentage
    if options.batch_size is not None:
        fields["ItemBatcher"] = {"MaxItemsPerBatch": options.batch_size}
    return fields


def map_lines(graph: FlowGraph, io: MapIO, fusion: Fusion | None = None) -> list[str]:
    """One line per map: its mode and why, where its items come from, where its results go;
    then which maps were fused, and why the others were not (`planner/fusion.py`)."""
    fusion = fusion or Fusion()
    lines = []
    for node in graph.nodes:
        if not node.is_map:
            continue
        kind = "Distributed Map" if node.options.distributed else "inline Map"
        parts = [f"{node.task_name}: {kind}, because {node.map_reason}"]
        if node.id in fusion.inner:
            lines.append(f"{parts[0]}; runs inside the fused Map {fusion.inner[node.id]!r}")
            continue
        source = io.reads.get(fusion.chain(node.id)[0])
        if source is not None:
            what = "exported results" if source in io.writes else "stored result"
            parts.append(f"items read from S3 ({graph.node(source).task_name}'s {what})")
        parts.append(
            "results exported to S3" if node.id in io.writes else "results in the state document"
        )
        lines.append("; ".join(parts))
    return lines + fusion_lines(graph, fusion)
