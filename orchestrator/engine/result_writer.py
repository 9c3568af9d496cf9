"""A Distributed Map's ResultWriter: the children's results exported to S3, or reshaped.

AWS developer guide, "ResultWriter (Map)". The field is never empty; it has WriterConfig alone
(the state's result is the transformed results, nothing is written), Resource
(`arn:aws:states:::s3:putObject`) with Parameters (`Bucket`, `Prefix`), or all three. Exporting
writes, under `<Prefix>/<map run id>/`, one file per status that has children —
`SUCCEEDED_0.json`, `FAILED_0.json` (failed, timed out and aborted children), `PENDING_0.json`
(children never started because the run failed) — then `manifest.json` listing them with their
sizes; the state's result is `{"MapRunArn", "ResultWriterDetails": {"Bucket", "Key"}}` with the
manifest's key. The files are written when the run fails too, before the state fails.

WriterConfig.Transformation shapes the succeeded children's results: NONE gives the execution
records the guide shows (`ExecutionArn`, `Input` and `Output` as JSON strings, dates, status...),
COMPACT their outputs, FLATTEN their outputs with arrays flattened one level. Failed children are
always NONE records (with `Error` and `Cause`). OutputType JSONL writes one result per line.

The records are built one at a time as a file's text is written, from the one copy of each
output the run keeps (`map_run.Outcomes`): a 100,000-item run never holds a second list of them.
Not done locally: splitting a file past 5 GB into `SUCCEEDED_1.json`, ...
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from .errors import DefinitionError, StatesError
from .fields import enum, obj, refuse_unknown
from .jsonpath import dumps
from .lane import iso
from .map_run import ABORTED, FAILED, SUCCEEDED, MapRun, Outcomes
from .objects import ObjectStore
from .spec import RESULT_WRITER_OUTPUT_TYPES, RESULT_WRITER_TRANSFORMATIONS, S3_PUT_OBJECT
from .state import payload_size
from .template import Template

WRITER_FAILED = "States.ResultWriterFailed"

_FIELDS = frozenset({"Resource", "Parameters", "WriterConfig"})
_CONFIG_FIELDS = frozenset({"Transformation", "OutputType"})
_PARAMETERS = ("Bucket", "Prefix")
_INCLUDED = {"Included": True}
# The three result files, in the order they are written (the manifest lists them sorted).
_FILES = ("SUCCEEDED", "FAILED", "PENDING")


@dataclass(frozen=True)
class Destination:
    store: ObjectStore
    bucket: str
    prefix: str


@dataclass(frozen=True)
class ResultWriter:
    parameters: Template | None  # None: WriterConfig only, nothing is exported
    transformation: str
    output_type: str

    def destination(
        self, store: ObjectStore | None, effective: Any, context: Callable[[], Any]
    ) -> Destination | None:
        """Where to export (evaluated before the run starts, so a bad bucket fails first)."""
        if self.parameters is None:
            return None
        if store is None:
            raise StatesError(
                WRITER_FAILED,
                "The ResultWriter writes to S3, and no object store was given to execute "
                "(execute(..., objects=...))",
            )
        parameters = self.parameters.evaluate(effective, context)
        bucket, prefix = parameters.get("Bucket"), parameters.get("Prefix", "")
        if not isinstance(bucket, str) or not bucket or not isinstance(prefix, str):
            raise StatesError(
                WRITER_FAILED,
                f"The ResultWriter's Bucket must be a non-empty string and its Prefix a string, "
                f"got {dumps({'Bucket': bucket, 'Prefix': prefix})}",
            )
        return Destination(store, bucket, prefix)

    def preview(self, run: MapRun, outcomes: Outcomes) -> list[Any]:
        """WriterConfig alone: the state's result is the transformed results, in item order."""
        return list(self._transformed(run, outcomes, outcomes.indices(SUCCEEDED, FAILED)))

    def export(self, run: MapRun, outcomes: Outcomes, destination: Destination) -> dict[str, Any]:
        """Write the result files and the manifest; the state's result points at the manifest."""
        prefix = destination.prefix
        folder = f"{prefix if not prefix or prefix.endswith('/') else prefix + '/'}{run.id}/"
        records: dict[str, Iterable[Any]] = {
            "SUCCEEDED": self._transformed(run, outcomes, outcomes.indices(SUCCEEDED)),
            "FAILED": (record(run, outcomes, i) for i in outcomes.indices(FAILED, ABORTED)),
            "PENDING": (_pending(outcomes, i) for i in outcomes.indices(None)),
        }
        files: dict[str, list[dict[str, Any]]] = {status: [] for status in sorted(_FILES)}
        for status in _FILES:
            body = self._body(records[status])
            if body is not None:
                key = f"{folder}{status}_0.json"
                _put(destination, key, body)
                files[status].append({"Key": key, "Size": payload_size(body)})
        manifest_key = f"{folder}manifest.json"
        manifest = {"DestinationBucket": destination.bucket, "MapRunArn": run.arn}
        _put(destination, manifest_key, dumps({**manifest, "ResultFiles": files}))
        return {
            "MapRunArn": run.arn,
            "ResultWriterDetails": {"Bucket": destination.bucket, "Key": manifest_key},
        }

    def _transformed(
        self, run: MapRun, outcomes: Outcomes, indices: Iterable[int]
    ) -> Iterator[Any]:
        flatten = self.transformation == "FLATTEN"
        for index in indices:
            if self.transformation == "NONE" or outcomes.status[index] != SUCCEEDED:
                yield record(run, outcomes, index)
            elif flatten and isinstance(outcomes.outputs[index], list):
                yield from outcomes.outputs[index]
            else:
                yield outcomes.outputs[index]

    def _body(self, results: Iterable[Any]) -> str | None:
        """A file's text (a JSON array, or JSON Lines), or None when it would be empty."""
        parts = [dumps(result) for result in results]
        if not parts:
            return None
        if self.output_type == "JSONL":
            return "\n".join(parts) + "\n"
        return "[" + ",".join(parts) + "]"


def record(run: MapRun, outcomes: Outcomes, index: int) -> dict[str, Any]:
    """A child's NONE record: DescribeExecution's fields, in the guide's (alphabetical) order.

    A succeeded child has `Output` and is NOT_REDRIVABLE; a failed one has `Error` and `Cause`
    instead, an aborted one neither, and both can be redriven with their Map Run.
    """
    status = outcomes.status[index]
    name = run.child_name(index)
    out: dict[str, Any] = {}
    if status == FAILED:
        error, cause = outcomes.errors[index]
        out["Cause"] = cause
        out["Error"] = error
    out["ExecutionArn"] = run.child_arn(name)
    out["Input"] = dumps(outcomes.inputs[index])
    out["InputDetails"] = _INCLUDED
    out["Name"] = name
    if status == SUCCEEDED:
        out["Output"] = dumps(outcomes.outputs[index])
        out["OutputDetails"] = _INCLUDED
    out["RedriveCount"] = 0
    if status == SUCCEEDED:
        out["RedriveStatus"] = "NOT_REDRIVABLE"
        out["RedriveStatusReason"] = "Execution is SUCCEEDED and cannot be redriven"
    else:
        out["RedriveStatus"] = "REDRIVABLE_BY_MAP_RUN"
    out["StartDate"] = _date(outcomes.started[index])
    out["StateMachineArn"] = run.state_machine_arn
    out["Status"] = status
    out["StopDate"] = _date(outcomes.stopped[index])
    return out


def _pending(outcomes: Outcomes, index: int) -> dict[str, Any]:
    """A child never started has no execution: only its input and status."""
    return {"Input": dumps(outcomes.inputs[index]), "InputDetails": _INCLUDED, "Status": "PENDING"}


def _date(moment: Any) -> str | None:
    return None if moment is None else iso(moment)


def _put(destination: Destination, key: str, body: str) -> None:
    try:
        destination.store.put_object(destination.bucket, key, body)
    except Exception as exc:  # the store's own error becomes the cause
        raise StatesError(
            WRITER_FAILED,
            f"Unable to write the object with key '{key}' in bucket '{destination.bucket}': "
            f"{type(exc).__name__}: {exc}",
        ) from None


def result_writer(spec: dict[str, Any], where: str) -> ResultWriter | None:
    """The Map's ResultWriter field, checked against AWS's required combinations."""
    writer = obj(spec, "ResultWriter", where)
    if writer is None:
        return None
    at = f"{where} ResultWriter"
    refuse_unknown(writer, _FIELDS, at)
    exports = "Resource" in writer
    combination = exports == ("Parameters" in writer) and (exports or "WriterConfig" in writer)
    if not combination:
        raise DefinitionError(
            f"{at}: give WriterConfig, Resource and Parameters, or all three (got "
            f"{', '.join(sorted(writer)) or 'an empty ResultWriter'})"
        )
    if exports and writer["Resource"] != S3_PUT_OBJECT:
        raise DefinitionError(
            f"{at}: Resource must be {S3_PUT_OBJECT}, got {dumps(writer['Resource'])}"
        )
    config = obj(writer, "WriterConfig", at) or {}
    config_at = f"{at}.WriterConfig"
    refuse_unknown(config, _CONFIG_FIELDS, config_at)
    # NONE is the default when exporting, COMPACT when not (the guide's Transformation values).
    default = "NONE" if exports else "COMPACT"
    transformation = enum(
        config, "Transformation", config_at, RESULT_WRITER_TRANSFORMATIONS, default
    )
    output_type = enum(config, "OutputType", config_at, RESULT_WRITER_OUTPUT_TYPES, "JSON")
    parameters = _parameters(writer, at) if exports else None
    return ResultWriter(parameters, transformation, output_type)


def _parameters(writer: dict[str, Any], where: str) -> Template:
    """Parameters: a payload template with Bucket (required) and Prefix (static or `.$`)."""
    parameters = obj(writer, "Parameters", where) or {}
    names = [key[:-2] if key.endswith(".$") else key for key in parameters]
    for name in names:
        if name not in _PARAMETERS:
            raise DefinitionError(
                f"{where}.Parameters: unknown field {name!r} (allowed: {', '.join(_PARAMETERS)})"
            )
    if names.count("Bucket") != 1 or names.count("Prefix") > 1:
        raise DefinitionError(
            f"{where}.Parameters: give Bucket (or Bucket.$) once, and Prefix at most once"
        )
    try:
        return Template(parameters)
    except DefinitionError as exc:
        raise DefinitionError(f"{where}.Parameters: {exc}") from None
