"""A task's Task state: its Lambda payload (the task id, its inputs as a template over the state
document, the context), its Retry, and the constants those templates put in the document, per
docs/data-contract.md.
"""

from __future__ import annotations

from typing import Any

from orchestrator.contract import (
    AFTER_KEY,
    MARKER_SAFE_KEY,
    PARAM_KEY,
    RESULT_READS_KEY,
    SKIP_ON_UPSTREAM_SKIP_KEY,
    STORE_RESULT_KEY,
    TRIGGER_CHECKED_KEY,
    placeholder,
)
from orchestrator.engine.spec import LAMBDA_INVOKE
from orchestrator.errors import FlowDefinitionError
from orchestrator.graph import (
    ConstInput,
    DictInput,
    FlowGraph,
    Input,
    ListInput,
    ParamInput,
    ResultInput,
    TaskNode,
    references,
)
from orchestrator.options import DEFAULT_TRIGGER
from orchestrator.planner.control import ControlPlan
from orchestrator.planner.maps import MapIO
from orchestrator.planner.paths import const_path, intrinsic_literal, path, result_path

LAMBDA_TRANSIENT_ERRORS = (
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
)
TRANSIENT_RETRY: dict[str, Any] = {
    "ErrorEquals": list(LAMBDA_TRANSIENT_ERRORS),
    "IntervalSeconds": 1,
    "MaxAttempts": 3,
    "BackoffRate": 2.0,
}
IDEMPOTENCY_IN_PROGRESS = "IdempotencyAlreadyInProgressError"  # Powertools idempotency
CONTEXT = {
    # The flow is a constant of its machine: the runtime reads it (result prefix, logs) rather
    # than parsing the state machine's name, which CloudFormation generates.
    "flow": None,
    "execution_id.$": "$$.Execution.Id",
    "state.$": "$$.State.Name",
    "retry_count.$": "$$.State.RetryCount",
}


class TaskStates:
    """Writes the Task states of a flow's tasks, keeping what they share: the constants their
    templates read from the document, every payload (planner/asl.py sets their offload share
    once all are written), and where parameters are read."""

    def __init__(self, graph: FlowGraph, control: ControlPlan, map_io: MapIO) -> None:
        self.graph = graph
        self.control = control
        self.map_io = map_io
        self.consts: dict[str, Any] = {}
        self.payloads: list[dict[str, Any]] = []  # every Lambda task's payload, as written
        self.context = {**CONTEXT, "flow": graph.resource_name}
        # The values of each task's order-only upstream tasks, sent under "after" (markers).
        self.after = {n.id: n.order_only_dependencies() for n in graph.nodes}
        # `path(base, [k])` is `base + key_steps[k]`: a Parallel's ResultSelector names many.
        self.key_steps = {n.id: path("", [n.id]) for n in graph.nodes}
        # The paths into each task's result the flow's own result reads: checked by the task
        # (RESULT_READS_KEY), as only the caller reads the execution's output.
        self.output_reads: dict[str, list[list[str | int]]] = {}
        for ref in references(graph.output) if graph.output is not None else ():
            if isinstance(ref, ResultInput) and ref.path:
                self.output_reads.setdefault(ref.node, []).append(list(ref.path))
        self.param_base = "$.params"  # where the state being written reads parameters
        self.starting = False  # writing a first task: parameters with defaults are markers
        self.defaults = graph.defaults()

    def payload(self, node: TaskNode, body: dict[str, Any]) -> dict[str, Any]:
        """The Lambda payload: task id, inputs, context; and whether a large result may be
        stored by reference (not when the state machine itself reads into the result)."""
        payload = {"task": node.id, **body}
        after = self.after[node.id]
        if after:  # order-only upstream tasks: their values, for the markers they may hold
            payload[AFTER_KEY] = {f"{u}.$": result_path(u) for u in after}
        if node.options.trigger != DEFAULT_TRIGGER:
            payload[TRIGGER_CHECKED_KEY] = True  # the gate evaluated trigger and skips
        elif not node.options.skip_on_upstream_skip:
            payload[SKIP_ON_UPSTREAM_SKIP_KEY] = False
        if node.id in self.map_io.inline:
            payload["offload"] = False
            if node.id in self.control.marker_safe:
                payload[MARKER_SAFE_KEY] = True
        elif node.id in self.map_io.stored:
            payload[STORE_RESULT_KEY] = True  # a Distributed Map reads it with an ItemReader
        reads = self.output_reads.get(node.id)
        if reads:
            payload[RESULT_READS_KEY] = reads
        return payload

    def task_state(self, node: TaskNode, payload: dict[str, Any]) -> dict[str, Any]:
        self.payloads.append(payload)
        state: dict[str, Any] = {
            "Type": "Task",
            "Resource": LAMBDA_INVOKE,
            "Parameters": {"FunctionName": placeholder(node.function_id), "Payload": payload},
            # Always set, equal to the function's Timeout: the state gives up exactly when
            # Lambda stops the function, locally as in AWS.
            "TimeoutSeconds": node.timeout,
            "Retry": self.retriers(node),
        }
        return state

    def retriers(self, node: TaskNode) -> list[dict[str, Any]]:
        transient = dict(TRANSIENT_RETRY)
        options = node.options
        if options.idempotent:
            # A retry that overlaps a still-running attempt of the same key waits for it.
            transient["ErrorEquals"] = [*LAMBDA_TRANSIENT_ERRORS, IDEMPOTENCY_IN_PROGRESS]
        out = [transient]
        if options.retries:
            delay = options.retry_delay
            retrier: dict[str, Any] = {
                "ErrorEquals": list(options.error_equals),
                "IntervalSeconds": delay.interval,
                "MaxAttempts": options.retries,
                "BackoffRate": float(delay.backoff_rate),  # statelint wants a float
            }
            if delay.max_delay is not None:
                retrier["MaxDelaySeconds"] = delay.max_delay
            if delay.jitter:
                retrier["JitterStrategy"] = "FULL"
            out.append(retrier)
        return out

    def template(self, node: TaskNode, inputs: dict[str, Input]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in inputs.items():
            self.put(out, key, value, node)
        return out

    def put(self, out: dict[str, Any], key: str, value: Input, node: TaskNode) -> None:
        if self.starting and isinstance(value, ParamInput):
            if value.name in self.defaults:  # the handler reads it (runtime/start.py)
                out[key] = {PARAM_KEY: [value.name, *value.path]}
                return
        if isinstance(value, ConstInput):
            check_const_keys(value.value, self.graph.name, node.task_name)
            out[key] = value.value
        elif isinstance(value, DictInput):
            out[key] = self.template(node, value.items)
        else:
            out[key + ".$"] = self.expression(value, node)

    def expression(self, value: Input, node: TaskNode) -> str:
        if isinstance(value, ResultInput):
            if not value.path:  # `result_path(value.node)`, from the key's steps made once
                return "$.results" + self.key_steps[value.node] + ".value"
            return result_path(value.node, value.path)
        if isinstance(value, ParamInput):
            return path(path(self.param_base, [value.name]), value.path)
        if isinstance(value, ConstInput):
            literal = intrinsic_literal(value.value)
            if literal is not None:
                return literal
            # No intrinsic literal for it (null, an exponent float, an object, a list): a
            # constant of the document, read by path.
            check_const_keys(value.value, self.graph.name, node.task_name)
            key = f"{node.id}_const_{len(self.consts)}"
            self.consts[key] = value.value
            return const_path(key)
        if isinstance(value, ListInput):
            return "States.Array(" + ", ".join(self.expression(v, node) for v in value.items) + ")"
        raise FlowDefinitionError(
            "a list holding a dict of task results cannot be passed to a task",
            flow=self.graph.name,
            task=node.task_name,
            fix="pass the dict as its own argument, or build the structure inside a task",
        )


def check_const_keys(value: Any, flow: str, task: str) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            if k.endswith(".$"):
                raise FlowDefinitionError(
                    f"the constant key {k!r} ends in '.$', which Step Functions reads as a path",
                    flow=flow,
                    task=task,
                    fix="rename the key",
                )
            check_const_keys(v, flow, task)
    elif isinstance(value, list):
        for v in value:
            check_const_keys(v, flow, task)
