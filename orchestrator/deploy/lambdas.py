"""One `AWS::Serverless::Function` per distinct task, shared by every flow that calls it.

A task is identified by its key (`module:qualname`, what the runtime imports), so a task used by
two flows ships once and both state machines invoke the same function. Its Lambda `Timeout` is the
task's `timeout=` — the same number the planner wrote as the Task state's `TimeoutSeconds` — so the
function is stopped exactly when the state gives up on it and never keeps running side effects
nobody waits for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from orchestrator.deploy.config import DeployConfig
from orchestrator.deploy.project import FlowBuild

HANDLER = "orchestrator.runtime.handler.lambda_handler"
RUNTIME = "python3.12"
# The build directory SAM packages: `orchestrator/` and `functions/` (symlinks) plus the Lambda
# requirements — and nothing else of the repository (no tests, no .venv).
CODE_URI = "infra/lambda/"
RESULTS_BUCKET = "ResultsBucket"
IDEMPOTENCY_TABLE = "IdempotencyTable"

TASK_ENV = "ORCHESTRATOR_TASK"
PREFIX_ENV = "ORCHESTRATOR_RESULTS_PREFIX"
BUCKET_ENV = "ORCHESTRATOR_RESULTS_BUCKET"
TABLE_ENV = "ORCHESTRATOR_IDEMPOTENCY_TABLE"


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

    @property
    def prefixes(self) -> tuple[str, ...]:
        return tuple(results_prefix(flow) for flow in self.flows)


def results_prefix(flow_resource_name: str) -> str:
    """The key prefix of one flow's objects in the results bucket."""
    return f"{flow_resource_name}/"


def lambda_timeout(node_timeout: int | None, config: DeployConfig) -> int:
    """The function's Timeout: the state's TimeoutSeconds when set, else the default."""
    return node_timeout if node_timeout is not None else config.default_timeout


def collect_functions(builds: list[FlowBuild], config: DeployConfig) -> dict[str, TaskFunction]:
    """Task key → its function, in first-use order, with globally unique logical ids."""
    out: dict[str, TaskFunction] = {}
    taken: set[str] = set()
    for build in builds:
        flow = build.graph.resource_name
        for node in build.graph.nodes:
            memory = node.memory_mb or config.default_memory
            timeout = lambda_timeout(node.timeout_seconds, config)
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
                    node.idempotent,
                )
                continue
            # The same task in another flow: one function that serves both, sized for the
            # larger need (a flow's default memory can differ).
            out[node.task_key] = TaskFunction(
                known.logical_id,
                known.task_key,
                known.task_name,
                max(known.memory, memory),
                max(known.timeout, timeout),
                known.flows if flow in known.flows else (*known.flows, flow),
                known.idempotent or node.idempotent,
            )
    return out


def _unique(base: str, taken: set[str]) -> str:
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base[: -len('Function')]}{n}Function"
    taken.add(candidate)
    return candidate


def function_resource(fn: TaskFunction) -> dict[str, Any]:
    """The SAM resource; what every function shares lives in the template's Globals."""
    variables: dict[str, Any] = {TASK_ENV: fn.task_key, PREFIX_ENV: ",".join(fn.prefixes)}
    if fn.idempotent:
        variables[TABLE_ENV] = {"Ref": IDEMPOTENCY_TABLE}
    return {
        "Type": "AWS::Serverless::Function",
        "Properties": {
            "Description": f"Orchestrator task {fn.task_name} ({fn.task_key})"[:256],
            "MemorySize": fn.memory,
            "Timeout": fn.timeout,
            "Environment": {"Variables": variables},
            "Policies": [{"Statement": function_statements(fn)}],
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


def function_globals(config: DeployConfig) -> dict[str, Any]:
    """`Globals: Function:` — runtime, code, tracing and the environment every task shares."""
    return {
        "Runtime": RUNTIME,
        "Handler": HANDLER,
        "CodeUri": CODE_URI,
        "Architectures": [config.architecture],
        "Tracing": "Active",
        "Environment": {
            "Variables": {
                BUCKET_ENV: {"Ref": RESULTS_BUCKET},
                "POWERTOOLS_SERVICE_NAME": config.service,
                "POWERTOOLS_METRICS_NAMESPACE": "Orchestrator",
                "POWERTOOLS_LOG_LEVEL": "INFO",
            }
        },
    }
