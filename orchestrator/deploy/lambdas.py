"""One `AWS::Serverless::Function` per distinct task, shared by every flow that calls it.

A task is identified by its key (`module:qualname`, what the runtime imports), so a task used by
two flows ships once and both state machines invoke the same function. Its Lambda `Timeout` is the
task's settled timeout — the very value the planner wrote as the Task state's `TimeoutSeconds` —
so the function is stopped exactly when the state gives up on it and never keeps running side
effects nobody waits for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from orchestrator.contract import (
    FLOW_ENV,
    IDEMPOTENCY_TABLE_ENV,
    LOG_LEVEL_ENV,
    METRICS_NAMESPACE,
    METRICS_NAMESPACE_ENV,
    RESULTS_BUCKET_ENV,
    RESULTS_PREFIX_ENV,
    SERVICE_ENV,
    TASK_ENV,
    results_prefix,
)
from orchestrator.deploy.errors import DeployError
from orchestrator.deploy.packaging import CODE_DIR, LAYER_DIR
from orchestrator.deploy.project import FlowBuild
from orchestrator.settings import ProjectSettings

HANDLER = "orchestrator.runtime.lambda_entry.lambda_handler"
RUNTIME = "python3.12"
# What SAM packages (written by `orchestrator build`, see deploy/packaging.py): each function's
# code is only the project's modules; the handler and the libraries are one shared layer.
CODE_URI = f"{CODE_DIR.as_posix()}/"
LAYER_URI = f"{LAYER_DIR.as_posix()}/"
LAYER = "OrchestratorRuntimeLayer"
RESULTS_BUCKET = "ResultsBucket"
IDEMPOTENCY_TABLE = "IdempotencyTable"
TAGS_KEY = "orchestrator:tags"


@dataclass(frozen=True)
class TaskFunction:
    """What the template needs to know about one task's Lambda."""

    logical_id: str
    task_key: str
    task_name: str
    memory: int
    timeout: int
    flows: tuple[str, ...]  # resource names of the flows calling it, in build order
    idempotent: bool
    tags: tuple[str, ...] = ()  # the task's `tags=`, as its `orchestrator:tags` Lambda tag

    @property
    def prefixes(self) -> tuple[str, ...]:
        return tuple(results_prefix(flow) for flow in self.flows)


def collect_functions(builds: list[FlowBuild]) -> dict[str, TaskFunction]:
    """Task key → its function, in first-use order, with globally unique logical ids."""
    out: dict[str, TaskFunction] = {}
    taken: set[str] = set()
    for build in builds:
        flow = build.graph.resource_name
        for node in build.graph.nodes:
            memory, timeout = node.memory, node.timeout
            known = out.get(node.task_key)
            if known is None:
                logical = _unique(f"{node.function_id}Function", taken)
                out[node.task_key] = TaskFunction(
                    logical,
                    node.task_key,
                    node.task_name,
                    memory,
                    timeout,
                    (flow,),
                    node.options.idempotent,
                    node.options.tags,
                )
                continue
            if known.timeout != timeout:  # settled from the task and the project alone
                raise DeployError(
                    f"task {node.task_name!r} has timeout {known.timeout} s in one flow and "
                    f"{timeout} s in flow {build.graph.name!r}; one function cannot have both"
                )
            # The same task in another flow: one function that serves both, sized for the
            # larger need (a flow's default memory can differ; memory is not in the ASL).
            out[node.task_key] = TaskFunction(
                known.logical_id,
                known.task_key,
                known.task_name,
                max(known.memory, memory),
                timeout,
                known.flows if flow in known.flows else (*known.flows, flow),
                known.idempotent or node.options.idempotent,
                known.tags,
            )
    return out


def _unique(base: str, taken: set[str]) -> str:
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base[: -len('Function')]}{n}Function"
    taken.add(candidate)
    return candidate


def function_resource(fn: TaskFunction, config: ProjectSettings) -> dict[str, Any]:
    """The SAM resource; what every function shares lives in the template's Globals."""
    variables: dict[str, Any] = {
        TASK_ENV: fn.task_key,
        RESULTS_PREFIX_ENV: ",".join(fn.prefixes),
        FLOW_ENV: ",".join(fn.flows),
        # Logs and metrics under the flow's name; a task several flows share keeps the
        # project's, and each invocation still logs and annotates its own flow.
        SERVICE_ENV: fn.flows[0] if len(fn.flows) == 1 else config.service,
    }
    if fn.idempotent:
        variables[IDEMPOTENCY_TABLE_ENV] = {"Ref": IDEMPOTENCY_TABLE}
    props: dict[str, Any] = {
        "Description": f"Orchestrator task {fn.task_name} ({fn.task_key})"[:256],
        # Its own log group (below), with the project's retention, not Lambda's implicit one.
        "LoggingConfig": {"LogGroup": {"Ref": log_group_id(fn)}},
        "MemorySize": fn.memory,
        "Timeout": fn.timeout,
        "Environment": {"Variables": variables},
        "Policies": [{"Statement": function_statements(fn)}],
    }
    if fn.tags:  # `@task(tags=[...])`: findable in the console, Resource Groups and billing
        props["Tags"] = {TAGS_KEY: " ".join(fn.tags)}
    return {"Type": "AWS::Serverless::Function", "Properties": props}


def log_group_id(fn: TaskFunction) -> str:
    return f"{fn.logical_id}LogGroup"


def function_log_group(fn: TaskFunction, config: ProjectSettings) -> dict[str, Any]:
    """The function's log group: Lambda would otherwise create `/aws/lambda/<name>` on first
    use and keep its logs forever. Named after the stack, so stages never share one."""
    name = "/aws/lambda/${AWS::StackName}/" + fn.logical_id
    return {
        "Type": "AWS::Logs::LogGroup",
        "Properties": {
            "LogGroupName": {"Fn::Sub": name},
            "RetentionInDays": config.log_retention_days,
        },
    }


def function_statements(fn: TaskFunction) -> list[dict[str, Any]]:
    """Least privilege: its flows' prefixes of the bucket, and the table only if idempotent."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "FlowResults",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject"],
            "Resource": [
                {"Fn::Sub": f"arn:${{AWS::Partition}}:s3:::${{{RESULTS_BUCKET}}}/{prefix}*"}
                for prefix in fn.prefixes
            ],
        }
    ]
    if fn.idempotent:
        statements.append(
            {
                "Sid": "Idempotency",
                "Effect": "Allow",
                "Action": [
                    "dynamodb:GetItem",
                    "dynamodb:PutItem",
                    "dynamodb:UpdateItem",
                    "dynamodb:DeleteItem",
                ],
                "Resource": {"Fn::GetAtt": [IDEMPOTENCY_TABLE, "Arn"]},
            }
        )
    return statements


def runtime_layer(config: ProjectSettings) -> dict[str, Any]:
    """The layer every function uses: the handler's part of orchestrator and the dependencies.

    SAM builds it once (`BuildMethod`, for the functions' architecture: wheels are picked for
    it, so an arm64 build works on x86 without Docker). Old versions are retained: a published
    function version keeps naming the layer version it was built with, and a rollback to it must
    still find it.
    """
    return {
        LAYER: {
            "Type": "AWS::Serverless::LayerVersion",
            "Properties": {
                "Description": "Orchestrator task runtime and the project's dependencies",
                "ContentUri": LAYER_URI,
                "CompatibleRuntimes": [RUNTIME],
                "CompatibleArchitectures": [config.architecture],
                "RetentionPolicy": "Retain",
            },
            "Metadata": {"BuildMethod": RUNTIME, "BuildArchitecture": config.architecture},
        }
    }


def function_globals(config: ProjectSettings) -> dict[str, Any]:
    """`Globals: Function:` — runtime, code, layer, tracing and the environment every task
    shares."""
    return {
        "Runtime": RUNTIME,
        "Handler": HANDLER,
        "CodeUri": CODE_URI,
        "Layers": [{"Ref": LAYER}],
        "Architectures": [config.architecture],
        "Tracing": "Active",
        # Each deploy publishes a version of every function whose code or configuration changed;
        # state machines invoke those versions (`<Function>.Version` in their substitutions).
        "AutoPublishAlias": config.alias,
        "Environment": {
            "Variables": {
                RESULTS_BUCKET_ENV: {"Ref": RESULTS_BUCKET},
                METRICS_NAMESPACE_ENV: METRICS_NAMESPACE,
                LOG_LEVEL_ENV: "INFO",
            }
        },
    }
