"""The contract between the planner, the deploy layer, the Lambda runtime and local runs.

Like Powertools' `shared/constants.py`: every name two layers must agree on is written here once —
environment variables the template sets and the runtime reads, the placeholder that wires a Task
state to its function, the size at which a result travels by reference. The AWS facts these rest
on (the `lambda:invoke` resource, the 256 KiB payload limit, the local region and account) are in
`orchestrator.engine.spec`, which this module re-exports for one-stop reading.

Imports nothing heavy: every task Lambda imports it on a cold start.
"""

from __future__ import annotations

import re
from pathlib import Path

from orchestrator.engine.spec import (
    LAMBDA_INVOKE,
    LOCAL_ACCOUNT,
    LOCAL_REGION,
    MAX_PAYLOAD_BYTES,
)

# -- environment of a task Lambda (set by deploy/lambdas.py, read by runtime/) -------------------
#: `package.module:qualname` of the task the function runs.
TASK_ENV = "ORCHESTRATOR_TASK"
#: The flows (resource names, comma-separated) whose state machines invoke the function. The flow
#: of one invocation is in its payload (`context.flow`): never parsed from a resource name, which
#: CloudFormation generates.
FLOW_ENV = "ORCHESTRATOR_FLOW"
#: The results bucket; unset locally, where results go to RESULTS_DIR_ENV.
RESULTS_BUCKET_ENV = "ORCHESTRATOR_RESULTS_BUCKET"
#: Comma-separated key prefixes (one per flow calling the task) the function may write under.
RESULTS_PREFIX_ENV = "ORCHESTRATOR_RESULTS_PREFIX"
#: The DynamoDB idempotency table, for `@task(idempotent=True)`.
IDEMPOTENCY_TABLE_ENV = "ORCHESTRATOR_IDEMPOTENCY_TABLE"
#: Seconds an idempotency record is kept.
IDEMPOTENCY_EXPIRES_ENV = "ORCHESTRATOR_IDEMPOTENCY_EXPIRES"
#: Powertools' own variables: the template sets them, Powertools reads them.
SERVICE_ENV = "POWERTOOLS_SERVICE_NAME"
METRICS_NAMESPACE_ENV = "POWERTOOLS_METRICS_NAMESPACE"
LOG_LEVEL_ENV = "POWERTOOLS_LOG_LEVEL"
METRICS_NAMESPACE = "Orchestrator"

# -- environment of a local run -------------------------------------------------------------------
#: The SQLite run store (default `.orchestrator/runs.sqlite`).
STORE_ENV = "ORCHESTRATOR_STORE"
DEFAULT_STORE = Path(".orchestrator") / "runs.sqlite"
#: The folder of the local result store (default `.orchestrator/results`).
RESULTS_DIR_ENV = "ORCHESTRATOR_RESULTS_DIR"
DEFAULT_RESULTS_DIR = Path(".orchestrator") / "results"
#: Show tracebacks in the CLI.
DEBUG_ENV = "ORCHESTRATOR_DEBUG"

# -- results by reference (runtime/results.py, docs/data-contract.md) ----------------------------
#: A result whose JSON is longer is stored and passed by reference: half the payload limit, so
#: the rest of the state document (parameters, other results) still fits beside it.
OFFLOAD_BYTES_ENV = "ORCHESTRATOR_OFFLOAD_BYTES"
DEFAULT_OFFLOAD_BYTES = MAX_PAYLOAD_BYTES // 2
REF_KEY = "__orchestrator_ref__"


def results_prefix(flow_resource_name: str) -> str:
    """The key prefix of one flow's objects in the results bucket (and its functions' grant)."""
    return f"{flow_resource_name}/"


# -- Distributed Maps' results in the results bucket (planner/map_states.py, runtime/map_results.py)
#: The ASL placeholder of the results bucket's name (`${ResultsBucketName}`), which a Distributed
#: Map's ResultWriter (and an ItemReader) name: DefinitionSubstitutions gives the deployed bucket,
#: a local run LOCAL_RESULTS_BUCKET, the moto harness its own bucket.
RESULTS_BUCKET_SUBSTITUTION = "ResultsBucketName"
#: The bucket name a local run gives `${ResultsBucketName}`: the local result store (the folder
#: RESULTS_DIR_ENV) answers for it, as S3 answers for the results bucket when deployed.
LOCAL_RESULTS_BUCKET = "orchestrator-local-results"


#: A reference's location, for a Map's ItemReader: `{REF_KEY: uri, "bucket": b, "key": k}`.
REF_BUCKET_FIELD = "bucket"
REF_OBJECT_FIELD = "key"
#: In a reference to a Distributed Map's exported results (`manifest.json`), with `prefix` the
#: start of the keys of its succeeded children's files (`<prefix>/<run>/SUCCEEDED_`), which a
#: downstream map's ItemReader lists: `{REF_KEY: manifest uri, MAP_RESULTS_FIELD: "items" |
#: "batches", "bucket": b, "prefix": p}`.
MAP_RESULTS_FIELD = "map_results"
REF_PREFIX_FIELD = "prefix"
#: A map item read from another map's exported results keeps that child's input here (a JSON
#: string), so results can be put back in the order of the first map's items.
MAP_SOURCE_FIELD = "source"
#: A task payload flag: store the result and pass a reference with its location, however small
#: (a Distributed Map reads the list with an ItemReader).
STORE_RESULT_KEY = "store"
#: An inline Map item's context: how many items the map has (each offloads above its share).
MAP_SIZE_KEY = "map_size"
#: A task payload: how many task results may share a state document with this one (each
#: offloads above its share of the threshold); absent, one.
OFFLOAD_SHARE_KEY = "share"
#: A task payload: the paths into this task's result that the flow's own result reads
#: (`[["key", 0], ...]`; for a mapped task the first step is the item's index). A result without
#: one fails the task with TaskResultError naming the key, instead of a run that succeeds with a
#: result nobody can read.
RESULT_READS_KEY = "reads"
#: A batched Distributed Map's child payload: the items (`{"inputs", "index"}`) of one batch.
BATCH_KEY = "batch"
#: The payload of the machine's first task (docs/data-contract.md, "Execution input"):
#: `{START_KEY: {"params": <execution input>, "defaults": {...}}}`. The handler merges the
#: defaults under the input, resolves PARAM_KEY markers in the inputs from the merged
#: parameters, and returns `{"params": merged, "value": <result>}`: the first state builds the
#: state document from it, so no Pass state is spent on bookkeeping.
START_KEY = "start"
#: In a first task's inputs, a parameter that has a default: `{PARAM_KEY: [name, *path]}`.
PARAM_KEY = "__orchestrator_param__"
#: The Error of a first task whose execution input lacks what the flow reads (the handler's
#: `runtime.start.ParameterReadError`): a first task's Catch lets it end the run.
PARAMETER_READ_ERROR = "ParameterReadError"


def map_results_prefix(flow_resource_name: str, task_id: str) -> str:
    """Where a Distributed Map's ResultWriter puts a task's map runs (`<prefix>/<run>/...`)."""
    return f"{results_prefix(flow_resource_name)}maps/{task_id}"


# -- task states in the state document (planner/control.py, runtime/upstream.py) --------------
# A task that did not produce a value has, in its place (`$.results.<id>.value`, or a mapped
# task's item), a marker: a one-key object the planner's Choice rules test with `IsPresent` and
# the runtime recognises in a downstream task's inputs. The keys start with a letter: the ASL
# spec's Reference Paths (Choice `Variable`, Fail `ErrorPath`) allow no other name. Docs:
# docs/control-flow.md.
#: `{SKIPPED_KEY: "reason"}`: the task was skipped (it raised SKIP, or an upstream was skipped).
SKIPPED_KEY = "orchestrator_skipped"
#: `{FAILED_KEY: {"Error": ..., "Cause": ...}}`: the task failed, its failure caught (Catch).
FAILED_KEY = "orchestrator_failed"
#: Beside FAILED_KEY when the task did not run because its trigger failed: the trigger's verdict.
#: `Error`/`Cause` are then the upstream failure that made it fail, so the flow reports the cause.
TRIGGER_FAILED_KEY = "orchestrator_trigger_failed"
#: The Error of a trigger that failed with no upstream failure to report (e.g. any_failed).
TRIGGER_FAILED_ERROR = "orchestrator.TriggerFailed"
#: Payload keys: order-only upstream values (for their markers), a trigger the state machine
#: already evaluated, and `skip_on_upstream_skip=False`.
AFTER_KEY = "after"
TRIGGER_CHECKED_KEY = "trigger_checked"
SKIP_ON_UPSTREAM_SKIP_KEY = "skip_on_upstream_skip"
#: Beside `"offload": false`: the tasks that read this result in the state machine itself (a Map
#: over it, a path into it) are gated by a Choice, so this task may end skipped or failed.
MARKER_SAFE_KEY = "marker_safe"

# -- generated artifacts (committed; `orchestrator build --check` keeps them current) -----------
#: Where each flow's ASL is written, relative to the project root: `<resource name>.asl.json`.
STATEMACHINE_DIR = Path("infra/statemachines")
STATEMACHINE_SUFFIX = ".asl.json"


def statemachine_path(resource_name: str) -> Path:
    """The committed ASL of the flow named `resource_name`, relative to the project root."""
    return STATEMACHINE_DIR / f"{resource_name}{STATEMACHINE_SUFFIX}"


# -- Task state → Lambda function wiring ----------------------------------------------------------
#: `${<FunctionId>FunctionArn}` in the ASL; SAM's DefinitionSubstitutions fill it in.
PLACEHOLDER_SUFFIX = "FunctionArn"
#: Any `${Key}` in an ASL file: what DefinitionSubstitutions (SAM, or the moto harness) fill in.
PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


def substitution(key: str) -> str:
    """`${key}`: where a DefinitionSubstitutions value goes in an ASL file (`PLACEHOLDER`)."""
    return "${" + key + "}"


def placeholder_key(function_id: str) -> str:
    """The DefinitionSubstitutions key of a task's function ARN: `CleanFunctionArn`."""
    return f"{function_id}{PLACEHOLDER_SUFFIX}"


def placeholder(function_id: str) -> str:
    """The text the ASL holds where the function ARN goes: `${CleanFunctionArn}`."""
    return substitution(placeholder_key(function_id))


__all__ = [
    "AFTER_KEY",
    "DEBUG_ENV",
    "DEFAULT_OFFLOAD_BYTES",
    "DEFAULT_RESULTS_DIR",
    "DEFAULT_STORE",
    "FAILED_KEY",
    "FLOW_ENV",
    "IDEMPOTENCY_EXPIRES_ENV",
    "IDEMPOTENCY_TABLE_ENV",
    "LAMBDA_INVOKE",
    "LOCAL_ACCOUNT",
    "LOCAL_REGION",
    "LOG_LEVEL_ENV",
    "MARKER_SAFE_KEY",
    "MAX_PAYLOAD_BYTES",
    "METRICS_NAMESPACE",
    "METRICS_NAMESPACE_ENV",
    "OFFLOAD_BYTES_ENV",
    "PARAM_KEY",
    "PARAMETER_READ_ERROR",
    "PLACEHOLDER",
    "PLACEHOLDER_SUFFIX",
    "REF_KEY",
    "RESULTS_BUCKET_ENV",
    "RESULTS_DIR_ENV",
    "RESULTS_PREFIX_ENV",
    "SERVICE_ENV",
    "SKIPPED_KEY",
    "SKIP_ON_UPSTREAM_SKIP_KEY",
    "START_KEY",
    "STATEMACHINE_DIR",
    "STATEMACHINE_SUFFIX",
    "STORE_ENV",
    "TASK_ENV",
    "TRIGGER_CHECKED_KEY",
    "TRIGGER_FAILED_ERROR",
    "TRIGGER_FAILED_KEY",
    "placeholder",
    "placeholder_key",
    "substitution",
    "results_prefix",
    "map_results_prefix",
    "REF_BUCKET_FIELD",
    "REF_OBJECT_FIELD",
    "REF_PREFIX_FIELD",
    "MAP_RESULTS_FIELD",
    "MAP_SOURCE_FIELD",
    "STORE_RESULT_KEY",
    "MAP_SIZE_KEY",
    "OFFLOAD_SHARE_KEY",
    "RESULT_READS_KEY",
    "BATCH_KEY",
    "RESULTS_BUCKET_SUBSTITUTION",
    "LOCAL_RESULTS_BUCKET",
    "statemachine_path",
]
