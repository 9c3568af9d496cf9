"""A Distributed Map's exported results, read back as the list the map returned.

A `ResultWriter` (AWS developer guide, "ResultWriter (Map)") writes `<prefix>/<run>/manifest.json`
naming the result files — `SUCCEEDED_n.json` for children that succeeded, `FAILED_n.json` for
those that failed, timed out or were aborted, `PENDING_n.json` for those never started because
the run failed (a failed map's value never reaches a task) — each a JSON array of records with
the child's `Input` and `Output` as JSON strings (the NONE transformation), failed ones with
`Error` and `Cause`. The records are in no particular order: each child's input carries its
item's `index` (the planner's ItemSelector), which puts them back in the order of the items.
A tolerated failure stands, at its item's place, as `{"Error", "Cause"}`, as in an inline
Map's result.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from orchestrator.contract import MAP_SOURCE_FIELD

#: The statuses whose records hold a value for their items.
_READ = ("SUCCEEDED", "FAILED")


class TextStore(Protocol):
    def get(self, uri: str) -> str: ...


def item_index(child_input: dict[str, Any]) -> int:
    """The index of the item a child ran, in the first map's items: an item read from another
    map's export keeps that child's input under `source` (`planner/maps.py`)."""
    current = child_input
    while MAP_SOURCE_FIELD in current:
        current = json.loads(current[MAP_SOURCE_FIELD])
    return int(current["index"])


def read_map_results(manifest_text: str, store: TextStore, kind: str) -> list[Any]:
    """The map's results in item order; `kind` is "batches" when each child ran a batch (its
    input `{"Items": [...]}`, its output one result per item)."""
    manifest = json.loads(manifest_text)
    bucket = manifest["DestinationBucket"]
    placed: list[tuple[int, Any]] = []
    for status in _READ:
        for file in manifest.get("ResultFiles", {}).get(status, []):
            records = json.loads(store.get(f"s3://{bucket}/{file['Key']}"))
            for record in records:
                placed.extend(_values(record, status == "SUCCEEDED", kind == "batches"))
    placed.sort(key=lambda pair: pair[0])
    return [value for _, value in placed]


def _values(record: dict[str, Any], succeeded: bool, batched: bool) -> list[tuple[int, Any]]:
    child_input = json.loads(record["Input"])
    if succeeded:
        output = json.loads(record["Output"])
    else:
        output = {"Error": record.get("Error"), "Cause": record.get("Cause")}
    if not batched:
        return [(item_index(child_input), output)]
    items = child_input["Items"]
    outputs = output if succeeded else [output] * len(items)
    return [(item_index(item), value) for item, value in zip(items, outputs, strict=True)]
