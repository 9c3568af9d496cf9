"""Large task results travel by reference: stored in S3 (deployed) or a local folder (locally).

Step Functions refuses a state input or output over 256 KiB (`States.DataLimitExceeded`). A task
result whose JSON is larger than `ORCHESTRATOR_OFFLOAD_BYTES` (default 128 KiB, leaving room for
the rest of the state document) is written to the result store, and the state machine carries

    {"__orchestrator_ref__": "s3://bucket/flow/execution/task/0.json", "bytes": 301234}

instead. The handler of a downstream task replaces every such reference in its inputs by the
stored value before calling the task, so task code never sees one. The store is S3 when
`ORCHESTRATOR_RESULTS_BUCKET` is set (the deploy layer sets it, with the flow's key prefix in
`ORCHESTRATOR_RESULTS_PREFIX`), else the folder `ORCHESTRATOR_RESULTS_DIR`
(default `.orchestrator/results`).

The planner marks the tasks whose result the state machine itself must read — the list a Map
iterates, or a part of the result selected with `result["key"]` — with `"offload": false` in
their payload: those stay inline, as Step Functions must see the data.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, Protocol

from orchestrator.contract import (
    DEFAULT_OFFLOAD_BYTES,
    DEFAULT_RESULTS_DIR,
    LOCAL_RESULTS_BUCKET,
    MAP_RESULTS_FIELD,
    MAP_SIZE_KEY,
    OFFLOAD_BYTES_ENV,
    OFFLOAD_SHARE_KEY,
    REF_BUCKET_FIELD,
    REF_KEY,
    REF_OBJECT_FIELD,
    RESULTS_BUCKET_ENV,
    RESULTS_DIR_ENV,
    RESULTS_PREFIX_ENV,
    STORE_RESULT_KEY,
    results_prefix,
)

__all__ = [
    "REF_KEY",
    "UnknownFlowError",
    "LocalResultStore",
    "ResultStore",
    "S3ResultStore",
    "holds_refs",
    "is_ref",
    "keys_under",
    "local_store",
    "maybe_offload",
    "offload_limit",
    "prefix_for",
    "resolve_refs",
    "store_from_env",
]


class ResultStore(Protocol):
    def put(self, key: str, text: str) -> str: ...

    def get(self, uri: str) -> str: ...

    def location(self, key: str) -> tuple[str, str]: ...


class LocalResultStore:
    """Results as files under a folder: what `flow.run()` and the tests use.

    The folder is also the local stand-in for the results bucket: `s3://<LOCAL_RESULTS_BUCKET>/k`
    is the file `k` in it, which is where a local run's Distributed Maps export their results and
    read their items (the engine's `ObjectStore`: `get_object`/`list_keys`/`put_object`).
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()

    def put(self, key: str, text: str) -> str:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path.as_uri()

    def location(self, key: str) -> tuple[str, str]:
        """The bucket and key under which `put(key, ...)` can be read as an object."""
        return LOCAL_RESULTS_BUCKET, key

    def get(self, uri: str) -> str:
        local_bucket = f"s3://{LOCAL_RESULTS_BUCKET}/"
        if uri.startswith(local_bucket):
            return self.get_object(LOCAL_RESULTS_BUCKET, uri.removeprefix(local_bucket))
        if not uri.startswith("file://"):
            raise ValueError(f"{uri!r} is not a local result (file://)")
        return Path(uri.removeprefix("file://")).read_text(encoding="utf-8")

    def _object_path(self, bucket: str, key: str) -> Path:
        if bucket != LOCAL_RESULTS_BUCKET:
            raise FileNotFoundError(
                f"bucket {bucket!r} is not available in a local run (only the results bucket, "
                f"{LOCAL_RESULTS_BUCKET!r}, kept in {self.root})"
            )
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root):
            raise FileNotFoundError(f"key {key!r} leaves the local results folder")
        return path

    def get_object(self, bucket: str, key: str) -> str:
        path = self._object_path(bucket, key)
        if not path.is_file():
            raise FileNotFoundError(f"no object s3://{bucket}/{key} (looked for {path})")
        return path.read_text(encoding="utf-8")

    def list_keys(self, bucket: str, prefix: str) -> list[str]:
        self._object_path(bucket, "")  # only the results bucket is available
        return keys_under(self.root, prefix)

    def put_object(self, bucket: str, key: str, body: str) -> None:
        path = self._object_path(bucket, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")


def keys_under(folder: Path, prefix: str) -> list[str]:
    """The keys of the files in `folder` (a bucket's objects as files, `a/b.json` at
    `<folder>/a/b.json`) that start with `prefix`, as S3 would match a key prefix: `a/b` matches
    `a/b.json` and `a/bc/d.json`. In no particular order."""
    top = (folder / prefix.rpartition("/")[0]).resolve()
    if not top.is_relative_to(folder) or not top.is_dir():
        return []
    keys = (path.relative_to(folder).as_posix() for path in top.rglob("*") if path.is_file())
    return [key for key in keys if key.startswith(prefix)]


class S3ResultStore:
    """Results as objects in the results bucket, under the flow's prefix."""

    def __init__(self, bucket: str, prefix: str = "") -> None:
        import boto3  # only deployed tasks that offload pay for importing boto3

        self.bucket = bucket
        self.prefix = prefix
        self.client = boto3.client("s3")

    def put(self, key: str, text: str) -> str:
        full = f"{self.prefix}{key}"
        self.client.put_object(
            Bucket=self.bucket, Key=full, Body=text.encode(), ContentType="application/json"
        )
        return f"s3://{self.bucket}/{full}"

    def location(self, key: str) -> tuple[str, str]:
        return self.bucket, f"{self.prefix}{key}"

    def get(self, uri: str) -> str:
        match = re.fullmatch(r"s3://([^/]+)/(.+)", uri)
        if not match:
            raise ValueError(f"{uri!r} is not an S3 result (s3://bucket/key)")
        body = self.client.get_object(Bucket=match.group(1), Key=match.group(2))["Body"]
        return str(body.read().decode())


def local_store() -> LocalResultStore:
    """The local result store: the folder RESULTS_DIR_ENV names (a local run's results bucket)."""
    return LocalResultStore(os.environ.get(RESULTS_DIR_ENV) or DEFAULT_RESULTS_DIR)


def store_from_env(flow: str | None = None) -> ResultStore:
    bucket = os.environ.get(RESULTS_BUCKET_ENV)
    if not bucket:
        return local_store()
    return S3ResultStore(bucket, prefix_for(flow))


class UnknownFlowError(RuntimeError):
    """The payload names a flow this function was not deployed for (a stale deploy)."""


def prefix_for(flow: str | None) -> str:
    """The prefix of the flow the payload names (`context.flow`): the one this function's role
    may write and the flow's other tasks may read. A task shared by several flows has several."""
    prefixes = [p for p in os.environ.get(RESULTS_PREFIX_ENV, "").split(",") if p]
    if flow is None:  # a hand-made event: only a single-flow function knows where to write
        if len(prefixes) == 1:
            return prefixes[0]
        raise UnknownFlowError(
            "the payload names no flow (context.flow) and this function serves "
            f"{len(prefixes)} flows; rebuild and redeploy so the state machine sends it"
        )
    wanted = results_prefix(flow)
    if prefixes and wanted not in prefixes:
        raise UnknownFlowError(
            f"flow {flow!r} is not among this function's flows ({RESULTS_PREFIX_ENV}="
            f"{','.join(prefixes)}); rebuild and redeploy"
        )
    return wanted


def offload_limit() -> int:
    try:
        return int(os.environ.get(OFFLOAD_BYTES_ENV, DEFAULT_OFFLOAD_BYTES))
    except ValueError:
        return DEFAULT_OFFLOAD_BYTES


def maybe_offload(result: Any, text: str, event: dict[str, Any]) -> Any:
    """`result`, or a reference to it in the result store when its JSON `text` is too large.

    Too large is over this result's share of the offload threshold: `share` results may sit in
    one state document together (the planner counts them), and an inline Map's items share
    their list's (`context.map_size`). A payload with `"store": true` is stored
    whatever its size, and its reference says where (bucket, key) for a Map's ItemReader.
    """
    size = len(text.encode("utf-8")) if not text.isascii() else len(text)
    raw_ctx = event.get("context")
    ctx: dict[str, Any] = raw_ctx if isinstance(raw_ctx, dict) else {}
    store = event.get(STORE_RESULT_KEY) is True
    if not store and event.get("offload") is not False:
        if size <= offload_limit() // _count(event.get(OFFLOAD_SHARE_KEY)) // _count(
            ctx.get(MAP_SIZE_KEY)
        ):
            return result
    elif not store:
        return result
    execution = str(ctx.get("execution_id") or "local").rsplit(":", 1)[-1]
    index = ctx.get("map_index")
    key = f"{execution}/{event.get('task', 'task')}/{'0' if index is None else index}.json"
    flow = ctx.get("flow") if isinstance(ctx.get("flow"), str) else None
    results = store_from_env(flow)
    ref: dict[str, Any] = {REF_KEY: results.put(key, text), "bytes": size}
    if store:
        ref[REF_BUCKET_FIELD], ref[REF_OBJECT_FIELD] = results.location(key)
    return ref


def _count(value: Any) -> int:
    """A share count from a payload: a positive whole number, else 1."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 1


def is_ref(value: Any) -> bool:
    return isinstance(value, dict) and REF_KEY in value and isinstance(value[REF_KEY], str)


def resolve_refs(value: Any, store: ResultStore | None = None) -> Any:
    """`value` with every result reference (at any depth) replaced by the stored value; a
    Distributed Map's exported results by the list of its items' results, in item order."""
    if is_ref(value):
        uri = value[REF_KEY]
        chosen = store or _store_for(uri)
        if value.get(MAP_RESULTS_FIELD):
            from orchestrator.runtime.map_results import read_map_results

            return read_map_results(chosen.get(uri), chosen, value[MAP_RESULTS_FIELD])
        return json.loads(chosen.get(uri))
    if isinstance(value, list):
        return [resolve_refs(v, store) for v in value]
    if isinstance(value, dict):
        return {k: resolve_refs(v, store) for k, v in value.items()}
    return value


def _store_for(uri: str) -> ResultStore:
    if uri.startswith(f"s3://{LOCAL_RESULTS_BUCKET}/"):
        return local_store()
    if uri.startswith("s3://"):
        bucket = uri[5:].split("/", 1)[0]
        return S3ResultStore(bucket)
    return local_store()


def holds_refs(value: Any) -> bool:
    if is_ref(value):
        return True
    if isinstance(value, list):
        return any(holds_refs(v) for v in value)
    if isinstance(value, dict):
        return any(holds_refs(v) for v in value.values())
    return False
