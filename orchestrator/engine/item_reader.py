"""A Distributed Map's ItemReader: the items come from objects, not from the state input.

AWS developer guide, "ItemReader (Map)" and "How Step Functions parses input CSV files": with
`"Resource": "arn:aws:states:::s3:getObject"`, `Parameters` (a payload template evaluated on the
Map's effective input) names the `Bucket` and `Key`, and `ReaderConfig.InputType` says how to
read it — JSON (the object holds an array), JSONL (one JSON value per line) or CSV (one object
per row, keyed by the header, every value a string). With `"arn:aws:states:::s3:listObjectsV2"`
and `ReaderConfig.Transformation` LOAD_AND_FLATTEN, `Parameters` names a `Bucket` and a `Prefix`,
and the items are those of every object listed under the prefix, each read as InputType says,
one object after another in the order S3 lists keys (ascending UTF-8 bytes); no object under the
prefix is no item. `MaxItems`/`MaxItemsPath` stop reading after that many items. The objects
come from the `ObjectStore` given to `execute`; anything that cannot be listed, read or parsed
fails the state with States.ItemReaderFailed, which Retry and Catch see.

Refused when the definition is compiled, rather than guessed at: s3:listObjectsV2 without
LOAD_AND_FLATTEN (its items would be S3's object metadata, ETag and StorageClass included, which
a local store does not keep), the MANIFEST and PARQUET input types, ReaderConfig's
ManifestType/ItemsPointer, and Parameters' VersionId/ExpectedBucketOwner (a local store has
neither versions nor owners).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from .delimited import delimited_rows
from .errors import DefinitionError, StatesError
from .fields import enum, obj, refuse_unknown
from .jsonpath import dumps
from .limit import Limit, limit
from .objects import ObjectStore
from .spec import (
    CSV_DELIMITERS,
    CSV_HEADER_LOCATIONS,
    ITEM_READER_INPUT_TYPES,
    ITEM_READER_MAX_ITEMS,
    ITEM_READER_TRANSFORMATIONS,
    S3_GET_OBJECT,
    S3_LIST_OBJECTS_V2,
)
from .template import Template

READER_FAILED = "States.ItemReaderFailed"

_FIELDS = frozenset({"Resource", "ReaderConfig", "Parameters"})
_CONFIG_FIELDS = frozenset(
    {
        "InputType",
        "CSVHeaderLocation",
        "CSVHeaders",
        "CSVDelimiter",
        "MaxItems",
        "MaxItemsPath",
        "Transformation",
        "ManifestType",
        "ItemsPointer",
    }
)
_READ_LOCALLY = ("JSON", "JSONL", "CSV")
_NOT_LOCAL_CONFIG = ("ManifestType", "ItemsPointer")
# Each Resource's Parameters: the object's Key, or the Prefix of the objects listed (optional).
_SECOND_PARAMETER = {S3_GET_OBJECT: "Key", S3_LIST_OBJECTS_V2: "Prefix"}
_NOT_LOCAL_PARAMETERS = ("VersionId", "ExpectedBucketOwner")
# Only with a text delimited file ("You can specify this field when InputType is CSV").
_CSV_ONLY = ("CSVHeaderLocation", "CSVHeaders", "CSVDelimiter")


@dataclass(frozen=True)
class ItemReader:
    parameters: Template
    listed: bool  # listObjectsV2 with LOAD_AND_FLATTEN: every object under Prefix, not one Key
    input_type: str
    headers: tuple[str, ...] | None  # GIVEN headers; None reads them from the first row
    delimiter: str
    max_items: Limit

    def read(
        self, store: ObjectStore | None, effective: Any, context: Callable[[], Any]
    ) -> list[Any]:
        """The items, at most MaxItems of them, in the objects' order."""
        if store is None:
            raise StatesError(
                READER_FAILED,
                "The ItemReader reads from S3, and no object store was given to execute "
                "(execute(..., objects=...))",
            )
        bucket, where = _location(self.parameters.evaluate(effective, context), self.listed)
        most = int(self.max_items.resolve(effective, ITEM_READER_MAX_ITEMS))
        keys = _listed_keys(store, bucket, where) if self.listed else [where]
        return _take(self._items(store, bucket, keys), most)

    def _items(self, store: ObjectStore, bucket: str, keys: list[str]) -> Iterator[Any]:
        """Each object's items in turn: an object is read only when the items before it were
        fewer than MaxItems."""
        for key in keys:
            text = _object_text(store, bucket, key)
            where = f"s3://{bucket}/{key}"
            if self.input_type == "JSON":
                yield from _json_items(text, where)
            elif self.input_type == "JSONL":
                yield from _jsonl_items(text, where)
            else:
                yield from _csv_items(text, self.headers, self.delimiter)


def _object_text(store: ObjectStore, bucket: str, key: str) -> str:
    try:
        return store.get_object(bucket, key)
    except Exception as exc:  # the store's own error (missing, denied) becomes the cause
        raise StatesError(
            READER_FAILED,
            f"Unable to read the object with key '{key}' in bucket '{bucket}': "
            f"{type(exc).__name__}: {exc}",
        ) from None


def _listed_keys(store: ObjectStore, bucket: str, prefix: str) -> list[str]:
    """The keys under `prefix` in the order ListObjectsV2 returns them: "in ascending order
    based on the UTF-8 binary representation" (Amazon S3 API reference, ListObjectsV2)."""
    try:
        keys = store.list_keys(bucket, prefix)
    except Exception as exc:  # the store's own error (no such bucket, denied) becomes the cause
        raise StatesError(
            READER_FAILED,
            f"Unable to list the objects with prefix '{prefix}' in bucket '{bucket}': "
            f"{type(exc).__name__}: {exc}",
        ) from None
    return sorted(keys, key=lambda key: key.encode("utf-8"))


def item_reader(spec: dict[str, Any], where: str) -> ItemReader | None:
    """The Map's ItemReader field, checked; None without one."""
    reader = obj(spec, "ItemReader", where)
    if reader is None:
        return None
    at = f"{where} ItemReader"
    refuse_unknown(reader, _FIELDS, at)
    resource = reader.get("Resource")
    if resource not in _SECOND_PARAMETER:
        raise DefinitionError(
            f"{at}: Resource must be {S3_GET_OBJECT} or {S3_LIST_OBJECTS_V2}, got {dumps(resource)}"
        )
    config = obj(reader, "ReaderConfig", at) or {}
    config_at = f"{at}.ReaderConfig"
    refuse_unknown(config, _CONFIG_FIELDS, config_at)
    for field in _NOT_LOCAL_CONFIG:
        if field in config:
            raise DefinitionError(f"{config_at}: {field} is not supported locally")
    transformation = enum(config, "Transformation", config_at, ITEM_READER_TRANSFORMATIONS, "NONE")
    listed = resource == S3_LIST_OBJECTS_V2
    if listed and transformation != "LOAD_AND_FLATTEN":
        raise DefinitionError(
            f"{at}: Resource {S3_LIST_OBJECTS_V2} without ReaderConfig.Transformation "
            f"LOAD_AND_FLATTEN (iterating over the objects' metadata) is not supported locally"
        )
    if not listed and "Transformation" in config:
        raise DefinitionError(
            f"{config_at}: Transformation goes with Resource {S3_LIST_OBJECTS_V2} only"
        )
    if "InputType" not in config:
        raise DefinitionError(f"{config_at}: InputType (JSON, JSONL or CSV) is required")
    input_type = enum(config, "InputType", config_at, ITEM_READER_INPUT_TYPES, "JSON")
    if input_type not in _READ_LOCALLY:
        raise DefinitionError(
            f"{config_at}: InputType {input_type} is not supported locally (only "
            f"{', '.join(_READ_LOCALLY)})"
        )
    headers = _csv_headers(config, config_at) if input_type == "CSV" else None
    if input_type != "CSV":
        for field in _CSV_ONLY:
            if field in config:
                raise DefinitionError(f"{config_at}: {field} is for InputType CSV only")
    delimiter = enum(config, "CSVDelimiter", config_at, tuple(CSV_DELIMITERS), "COMMA")
    return ItemReader(
        parameters=_parameters(reader, _SECOND_PARAMETER[resource], at),
        listed=listed,
        input_type=input_type,
        headers=headers,
        delimiter=CSV_DELIMITERS[delimiter],
        max_items=limit(config, "MaxItems", config_at, 1, ITEM_READER_MAX_ITEMS, integral=True),
    )


def _csv_headers(config: dict[str, Any], where: str) -> tuple[str, ...] | None:
    """CSVHeaderLocation is required ("you need to specify a column header"); GIVEN headers
    come in CSVHeaders, which FIRST_ROW must not have."""
    if "CSVHeaderLocation" not in config:
        raise DefinitionError(
            f"{where}: InputType CSV needs a CSVHeaderLocation (FIRST_ROW or GIVEN)"
        )
    location = enum(config, "CSVHeaderLocation", where, CSV_HEADER_LOCATIONS, "FIRST_ROW")
    given = config.get("CSVHeaders")
    if location == "FIRST_ROW":
        if given is not None:
            raise DefinitionError(f"{where}: CSVHeaders goes with CSVHeaderLocation GIVEN only")
        return None
    if not isinstance(given, list) or not given or not all(isinstance(h, str) for h in given):
        raise DefinitionError(
            f"{where}: CSVHeaderLocation GIVEN needs CSVHeaders, a non-empty array of strings, "
            f"got {dumps(given)}"
        )
    return tuple(given)


def _parameters(reader: dict[str, Any], second: str, where: str) -> Template:
    """Parameters: a payload template with Bucket and `second` (Key to get one object, Prefix to
    list them: optional), each static or `.$`."""
    parameters = obj(reader, "Parameters", where)
    if parameters is None:
        raise DefinitionError(f"{where}: Parameters with Bucket and {second} is required")
    names = [key[:-2] if key.endswith(".$") else key for key in parameters]
    allowed = ("Bucket", second)
    for name in names:
        if name in _NOT_LOCAL_PARAMETERS:
            raise DefinitionError(f"{where}.Parameters: {name} is not supported locally")
        if name not in allowed:
            raise DefinitionError(
                f"{where}.Parameters: unknown field {name!r} (allowed: {', '.join(allowed)})"
            )
    required = ("Bucket", "Key") if second == "Key" else ("Bucket",)
    for name in allowed:
        if names.count(name) > 1 or (name in required and names.count(name) != 1):
            how_often = "exactly once" if name in required else "at most once"
            raise DefinitionError(f"{where}.Parameters: give {name} (or {name}.$) {how_often}")
    try:
        return Template(parameters)
    except DefinitionError as exc:
        raise DefinitionError(f"{where}.Parameters: {exc}") from None


def _location(parameters: Any, listed: bool) -> tuple[str, str]:
    """The evaluated Bucket and Key, non-empty strings both; or Bucket and Prefix, a string that
    is empty when not given."""
    second = "Prefix" if listed else "Key"
    bucket, where = parameters.get("Bucket"), parameters.get(second, "" if listed else None)
    if not (isinstance(bucket, str) and bucket and isinstance(where, str) and (listed or where)):
        kind = "a string" if listed else "a non-empty string"
        raise StatesError(
            READER_FAILED,
            f"The ItemReader's Bucket must be a non-empty string and its {second} {kind}, got "
            f"{dumps({'Bucket': bucket, second: where})}",
        )
    return bucket, where


def _take(items: Iterator[Any], most: int) -> list[Any]:
    """At most `most` items, reading no further than that (MaxItems stops the reader)."""
    out: list[Any] = []
    if most <= 0:
        return out
    for item in items:
        out.append(item)
        if len(out) >= most:
            break
    return out


def _json_items(text: str, where: str) -> list[Any]:
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise StatesError(READER_FAILED, f"{where} is not valid JSON: {exc}") from None
    if not isinstance(value, list):
        kind = "an object" if isinstance(value, dict) else dumps(value)[:40]
        raise StatesError(
            READER_FAILED, f"{where} must hold a JSON array of items (InputType JSON), got {kind}"
        )
    return value


def _jsonl_items(text: str, where: str) -> Iterator[Any]:
    """One JSON value per line; blank lines (a trailing newline) are not items."""
    for number, line in enumerate(io.StringIO(text), 1):
        if line.strip():
            try:
                yield json.loads(line)
            except ValueError as exc:
                raise StatesError(
                    READER_FAILED, f"{where} line {number} is not valid JSON: {exc}"
                ) from None


def _csv_items(
    text: str, headers: tuple[str, ...] | None, delimiter: str
) -> Iterator[dict[str, str]]:
    """Rows as objects keyed by the header (the first row, unless GIVEN), values strings; a
    short row gets empty strings for its missing fields, a long row's extra fields are
    skipped ("How Step Functions parses input CSV files")."""
    names = headers
    for row in delimited_rows(text, delimiter):
        if names is None:
            names = tuple(row)
            continue
        yield {name: row[i] if i < len(row) else "" for i, name in enumerate(names)}
