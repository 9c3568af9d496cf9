"""The task handler: payload in, JSON result out — the same code in Lambda and in the local engine.

The payload follows docs/data-contract.md: `{"task": id, "inputs": {arg: value}, "context": {...}}`.
`execute_task` calls the task's function with the inputs bound by parameter name and returns its
result, checked to be JSON. An exception propagates unchanged: Lambda (or the local invoker, via
`orchestrator.runtime.error_payload`) reports it with the exception's class name as `errorType`, so
Retry/Catch on `"PaymentFailed"` match exactly as in AWS.

Keep this module's imports light: local runs import it for every task. The Lambda entry point,
wrapped in Powertools' logging, metrics and tracing, is `orchestrator.runtime.lambda_entry`.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any

from orchestrator.contract import AFTER_KEY, BATCH_KEY, RESULT_READS_KEY
from orchestrator.runtime.payloads import (
    TaskResultError,
    check_reads,
    decode_inputs,
    encode_result,
    jsonable_result,
)
from orchestrator.runtime.resolve import (
    TaskNotFoundError,
    TaskSpecError,
    resolve_task_object,
    task_function,
)
from orchestrator.runtime.results import holds_refs, maybe_offload, resolve_refs
from orchestrator.runtime.start import has_start, resolve_params, start_params, start_result
from orchestrator.runtime.upstream import (
    check_marker_safe,
    markers,
    outcome_without_running,
    skipped,
    strip_markers,
)
from orchestrator.signals import SKIP

__all__ = [
    "TaskInputError",
    "TaskNotFoundError",
    "TaskResultError",
    "TaskSpecError",
    "call_with_inputs",
    "encode_result",
    "execute_task",
    "resolve_task",
    "resolve_task_object",
]


class TaskInputError(TypeError):
    """The payload does not match the task's signature (a stale deploy or a hand-made event)."""


@functools.lru_cache(maxsize=1024)
def _parameters(fn: Callable[..., Any]) -> Mapping[str, inspect.Parameter]:
    # inspect.signature costs ~10 µs; a warm Lambda or a local run calls the same task many times.
    return inspect.signature(fn).parameters


def call_with_inputs(fn: Callable[..., Any], inputs: dict[str, Any]) -> Any:
    """Call `fn` with `inputs` keyed by parameter name (`*args`/`**kwargs` passed as list/dict)."""
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    parameters = _parameters(fn)
    for name, param in parameters.items():
        if name not in inputs:
            continue
        value = inputs[name]
        if param.kind is param.VAR_POSITIONAL:
            args.extend(value)
        elif param.kind is param.VAR_KEYWORD:
            kwargs.update(value)
        elif param.kind is param.POSITIONAL_ONLY:
            args.append(value)
        else:
            kwargs[name] = value
    unknown = inputs.keys() - parameters.keys()
    if unknown:
        raise TaskInputError(
            f"task {getattr(fn, '__name__', fn)!r} got inputs it does not accept: "
            f"{sorted(unknown)}; redeploy so the state machine and the function agree"
        )
    return fn(*args, **kwargs)


def execute_task(fn: Callable[..., Any], event: dict[str, Any]) -> Any:
    """Run one task attempt for a state-machine payload and return its JSON result.

    A batched Distributed Map's child sends a batch (`{"batch": [{"inputs", "index"}, ...]}`):
    the task runs once per item, in order, and the result is the list of their results; an
    item that raises fails the whole batch, which its Retry then runs again.
    """
    if isinstance(event, dict) and BATCH_KEY in event:
        return _execute_batch(fn, event)
    if not isinstance(event, dict) or not isinstance(event.get("inputs", {}), dict):
        raise TaskInputError(
            "the payload is not an Orchestrator task payload ({'task', 'inputs', 'context'})"
        )
    if has_start(event):  # the machine's first task: parameters and their defaults
        params = start_params(event)
        inputs = resolve_params(event.get("inputs") or {}, params)
        return start_result(params, _execute(fn, event, inputs))
    return _execute(fn, event, event.get("inputs") or {})


def _execute(fn: Callable[..., Any], event: dict[str, Any], inputs: dict[str, Any]) -> Any:
    if holds_refs(inputs):  # large upstream results arrive as references (runtime/results.py)
        inputs = resolve_refs(inputs)
    # Skipped or failed upstreams leave markers (runtime/upstream.py): end without running, or
    # run with None in their place.
    if event.get(AFTER_KEY) or _may_hold_markers(inputs):
        ended = outcome_without_running(event, inputs)
        if ended is not None:
            return ended
        inputs = strip_markers(inputs)
    inputs = decode_inputs(fn, inputs)  # datetime, Decimal, dataclasses… from their JSON
    try:
        result = call_with_inputs(fn, inputs)
    except SKIP as signal:
        return check_marker_safe(event, skipped(signal.message or "skipped by the task"))
    task = str(event.get("task", getattr(fn, "__name__", "task")))
    value, text = jsonable_result(task, result)
    if RESULT_READS_KEY in event:
        context = event.get("context")
        index = context.get("map_index") if isinstance(context, dict) else None
        check_reads(task, value, event[RESULT_READS_KEY], index)
    return maybe_offload(value, text, event)


def _execute_batch(fn: Callable[..., Any], event: dict[str, Any]) -> list[Any]:
    batch = event[BATCH_KEY]
    if not isinstance(batch, list) or not all(
        isinstance(item, dict) and isinstance(item.get("inputs", {}), dict) for item in batch
    ):
        raise TaskInputError("the payload's batch is not a list of {'inputs', 'index'} items")
    raw_ctx = event.get("context")
    ctx: dict[str, Any] = raw_ctx if isinstance(raw_ctx, dict) else {}
    rest = {k: v for k, v in event.items() if k != BATCH_KEY}
    return [
        execute_task(
            fn,
            {
                **rest,
                "inputs": item.get("inputs", {}),
                "context": {**ctx, "map_index": item.get("index")},
            },
        )
        for item in batch
    ]


def _may_hold_markers(inputs: dict[str, Any]) -> bool:
    return next(markers(inputs), None) is not None


def resolve_task(spec: str) -> Callable[..., Any]:
    """Import `package.module:qualname` and return the task's plain function."""
    return task_function(resolve_task_object(spec))
