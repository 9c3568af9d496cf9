"""JSONata-mode Task, Parallel and Map states, and the class of every JSONata state.

They reuse the JSONPath states' work (invoking, running branches and iterations, Retry) and
differ in how data flows (developer guide, "Transforming data with JSONata", "Handling errors"):

* `Arguments` (default: the state input) is what a Task sends — for `lambda:invoke`, the
  Invoke parameters — and a Parallel's branches receive; `$states.result` is not in reach there.
* `Output` (default: the result) and `Assign` see `$states.result`: the task's result, the
  branches' outputs, the iterations' outputs.
* A catcher's `Output` (default: the error output `{Error, Cause}`) and `Assign` see
  `$states.errorOutput` instead; a state that is caught assigns only what its catcher does.
* Map reads its items from `Items` (an array, or an expression giving one; default the input),
  shapes each with `ItemSelector` (`$states.context.Map.Item.Index`/`Value` in reach), and
  takes `MaxConcurrency`, `ToleratedFailureCount`/`Percentage` as numbers or expressions.
* `TimeoutSeconds`/`HeartbeatSeconds` may be expressions (a positive integer).

Not run locally, and refused: a JSONata Distributed Map's ItemReader, ItemBatcher and
ResultWriter (their `Arguments` forms).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from .errors import DefinitionError, StatesError
from .fields import describe, entries, in_range
from .jsonata import INPUT_ONLY, WITH_ERROR, WITH_RESULT, EvaluationFailed, is_expression
from .jsonata_states import (
    JSONATA_COMMON,
    JsonataChoice,
    JsonataFail,
    JsonataPass,
    JsonataSucceed,
    JsonataWait,
    assign,
    reads_context,
    settle,
    template,
)
from .jsonpath import dumps
from .lane import Lane
from .map_state import MapState
from .parallel import ParallelState
from .program import Program
from .query import JsonataTemplate, states_of
from .retry import Catcher, RecoverableState
from .spec import MAP_MAX_TOLERATED_FAILURE_PERCENTAGE, TASK_MAX_TIMEOUT_SECONDS
from .state import TRANSITION_FIELDS
from .steps import Steps
from .task import TaskState

Compile = Callable[[dict[str, Any], str], Program]

_RECOVERABLE = JSONATA_COMMON | TRANSITION_FIELDS | {"Output", "Assign", "Retry", "Catch"}
_CATCHER_FIELDS = frozenset({"ErrorEquals", "Next", "Output", "Assign", "Comment"})


class _JsonataRecoverable(RecoverableState):
    """Output/Assign over `$states.result`, and catchers' over `$states.errorOutput`."""

    catcher_fields = _CATCHER_FIELDS

    def _dataflow(self, spec: dict[str, Any]) -> None:
        self.output = template(spec, "Output", self.where, WITH_RESULT)
        self.assign: Any = assign(spec, self.where, WITH_RESULT)
        self.settles_with_context = reads_context(self.output, self.assign)
        catchers = entries(spec, "Catch", self.where, _CATCHER_FIELDS)
        self.catchers = tuple(
            replace(
                catcher,
                output=template(entry, "Output", at, WITH_ERROR, f"Catch[{i}]/Output"),
                assign=assign(entry, at, WITH_ERROR, f"Catch[{i}]/"),
            )
            for i, (catcher, (at, entry)) in enumerate(zip(self.catchers, catchers, strict=True))
        )

    def finish(self, lane: Lane, value: Any, result: Any, entered: int, retries: int) -> Any:
        states = {"input": value, "result": result}
        if self.settles_with_context:
            states["context"] = self.context_fn(lane, entered, retries)()
        return settle(lane, states, self.output, self.assign, result)

    def recover(
        self,
        lane: Lane,
        value: Any,
        error: StatesError,
        catcher: Catcher,
        entered: int,
        retries: int,
    ) -> Any:
        info = {"Error": error.error, "Cause": error.cause}
        states = {"input": value, "errorOutput": info}
        lane.assigned = None
        if reads_context(catcher.output, catcher.assign):
            states["context"] = self.context_fn(lane, entered, retries)()
        return settle(lane, states, catcher.output, catcher.assign, info)


def _positive_seconds(spec: dict[str, Any], key: str, where: str) -> Any:
    """TimeoutSeconds/HeartbeatSeconds: a positive integer, or an expression giving one."""
    if key not in spec:
        return None
    value = spec[key]
    if is_expression(value):
        return JsonataTemplate(value, key, where, INPUT_ONLY)
    if not in_range(value, 1, TASK_MAX_TIMEOUT_SECONDS, integral=True):
        wanted = describe(1, TASK_MAX_TIMEOUT_SECONDS, True)
        raise DefinitionError(f"{where}: {key} must be {wanted}, got {dumps(value)}")
    return value


def _resolve_seconds(field: Any, key: str, states: dict[str, Any]) -> int | None:
    if not isinstance(field, JsonataTemplate):
        return field if field is None else int(field)
    seconds = field.evaluate(states)
    if not in_range(seconds, 1, TASK_MAX_TIMEOUT_SECONDS, integral=True):
        raise EvaluationFailed(
            f"The {key} field must evaluate to a positive integer: {dumps(seconds)}", key
        )
    return int(seconds)


class JsonataTask(_JsonataRecoverable, TaskState):
    fields = _RECOVERABLE | {
        "Resource",
        "Arguments",
        "Credentials",
        "TimeoutSeconds",
        "HeartbeatSeconds",
    }

    def __init__(self, name: str, spec: dict[str, Any]) -> None:
        super().__init__(name, spec)
        self.arguments = template(spec, "Arguments", self.where, INPUT_ONLY)
        self._dataflow(spec)

    def _parse_timeouts(self, spec: dict[str, Any]) -> None:
        self.timeout_field = _positive_seconds(spec, "TimeoutSeconds", self.where)
        self.heartbeat_field = _positive_seconds(spec, "HeartbeatSeconds", self.where)
        timeout, heartbeat = self.timeout_field, self.heartbeat_field
        self.timeout = timeout if isinstance(timeout, int) else None
        self.timeout_path = None
        # Reported in TaskScheduled when constant; a lambda:invoke never heartbeats.
        self.heartbeat = heartbeat if isinstance(heartbeat, int) else None
        if isinstance(timeout, int) and isinstance(heartbeat, int) and heartbeat >= timeout:
            raise DefinitionError(
                f"{self.where}: HeartbeatSeconds ({heartbeat}) must be less than TimeoutSeconds "
                f"({timeout})"
            )

    def attempt_steps(self, lane: Lane, value: Any, entered: int, retry_count: int) -> Steps[Any]:
        context = self.context_fn(lane, entered, retry_count)
        parts = (self.arguments, self.timeout_field, self.heartbeat_field)
        states = states_of(value, context, reads_context(*_templates(parts)))
        arguments = value if self.arguments is None else self.arguments.evaluate(states)
        timeout = _resolve_seconds(self.timeout_field, "TimeoutSeconds", states)
        _resolve_seconds(self.heartbeat_field, "HeartbeatSeconds", states)
        if self.integration:
            return (yield from self._invoke_api(lane, arguments, timeout))
        return (yield from self._invoke_function(lane, arguments, timeout))


def _templates(parts: tuple[Any, ...]) -> list[JsonataTemplate | None]:
    return [part if isinstance(part, JsonataTemplate) else None for part in parts]


class JsonataParallel(_JsonataRecoverable, ParallelState):
    fields = _RECOVERABLE | {"Branches", "Arguments"}

    def __init__(self, name: str, spec: dict[str, Any], compile_program: Compile) -> None:
        super().__init__(name, spec, compile_program)
        self.arguments = template(spec, "Arguments", self.where, INPUT_ONLY)
        self._dataflow(spec)

    def attempt(self, lane: Lane, value: Any, entered: int, retry_count: int) -> Any:
        arguments = value
        if self.arguments is not None:
            context = self.context_fn(lane, entered, retry_count)
            states = states_of(value, context, self.arguments.reads_context)
            arguments = self.arguments.evaluate(states)
        return self._run_branches(lane, arguments)


class _JsonataLimit:
    """MaxConcurrency / ToleratedFailure*: a number, or an expression giving one (MapState's
    `Limit` interface, resolved against `$states`)."""

    def __init__(
        self, spec: dict[str, Any], key: str, where: str, high: float | None, integral: bool
    ) -> None:
        self.key = key
        self.low, self.high, self.integral = 0, high, integral
        value = spec.get(key)
        self.given = value is not None
        self.field: Any = None
        if is_expression(value):
            self.field = JsonataTemplate(value, key, where, INPUT_ONLY)
        elif value is not None and not in_range(value, 0, high, integral):
            wanted = describe(0, high, integral)
            raise DefinitionError(f"{where}: {key} must be {wanted}, got {dumps(value)}")
        self.value = value

    def resolve(self, states: dict[str, Any], default: float) -> float:
        if self.field is None:
            return default if self.value is None else float(self.value)
        raw = self.field.evaluate(states)
        if not in_range(raw, self.low, self.high, self.integral):
            wanted = describe(self.low, self.high, self.integral)
            raise EvaluationFailed(f"The {self.key} field must be {wanted}: {raw}", self.key)
        return float(raw)


_MAP_FIELDS = _RECOVERABLE | {
    "ItemProcessor",
    "Items",
    "ItemSelector",
    "MaxConcurrency",
    "Label",
    "ToleratedFailureCount",
    "ToleratedFailurePercentage",
}
_NOT_LOCAL = ("ItemReader", "ItemBatcher", "ResultWriter")
# What MapState parses as JSONPath fields; the JSONata forms are parsed here.
_OWN_FIELDS = ("Items", "ItemSelector", "MaxConcurrency") + (
    "ToleratedFailureCount",
    "ToleratedFailurePercentage",
)


class JsonataMap(_JsonataRecoverable, MapState):
    fields = _MAP_FIELDS | set(_NOT_LOCAL)

    def __init__(self, name: str, spec: dict[str, Any], compile_program: Compile) -> None:
        where = f"state {name!r}"
        for key in _NOT_LOCAL:
            if key in spec:
                raise DefinitionError(
                    f"{where}: {key} in a JSONata Map is not supported by the local engine "
                    f"(give the items with Items)"
                )
        rest = {key: value for key, value in spec.items() if key not in _OWN_FIELDS}
        super().__init__(name, rest, compile_program)
        self.spec = spec
        self.items = template(spec, "Items", where, INPUT_ONLY)
        if self.items is not None and not is_expression(spec["Items"]):
            if not isinstance(spec["Items"], list):
                raise DefinitionError(
                    f"{where}: Items must be an array or a JSONata expression, got "
                    f"{dumps(spec['Items'])}"
                )
        self.item_selector = template(spec, "ItemSelector", where, INPUT_ONLY)
        self.concurrency = _JsonataLimit(spec, "MaxConcurrency", where, None, True)  # type: ignore[assignment]
        self.tolerated_count = _JsonataLimit(spec, "ToleratedFailureCount", where, None, True)  # type: ignore[assignment]
        self.tolerated_percentage = _JsonataLimit(  # type: ignore[assignment]
            spec, "ToleratedFailurePercentage", where, MAP_MAX_TOLERATED_FAILURE_PERCENTAGE, False
        )
        if not self.distributed:
            for key in ("ToleratedFailureCount", "ToleratedFailurePercentage"):
                if key in spec:
                    raise DefinitionError(
                        f"{where}: {key} is a field of Distributed Maps only, and this Map is "
                        f"INLINE"
                    )
        self._dataflow(spec)

    def attempt(self, lane: Lane, value: Any, entered: int, retry_count: int) -> Any:
        context = self.context_fn(lane, entered, retry_count)
        # MapState hands its "effective input" to _items and to the limits: here, `$states`.
        states = {"input": value, "context": context()}
        return self._run_items(lane, states, context)

    def _items(self, lane: Lane, states: Any, context: Callable[[], Any]) -> list[Any]:
        items = states["input"] if self.items is None else self.items.evaluate(states)
        if not isinstance(items, list):
            raise EvaluationFailed(
                f"The Items field must evaluate to an array, got {dumps(items)}", "Items"
            )
        selector = self.item_selector
        if selector is None:
            return items
        base = states["context"]
        return [
            selector.evaluate(
                {
                    "input": states["input"],
                    "context": {**base, "Map": {"Item": {"Index": index, "Value": item}}},
                }
            )
            for index, item in enumerate(items)
        ]


#: The JSONata-mode class of each state Type (the compiler instantiates them).
STATE_CLASSES: dict[str, Any] = {
    "Pass": JsonataPass,
    "Succeed": JsonataSucceed,
    "Fail": JsonataFail,
    "Wait": JsonataWait,
    "Choice": JsonataChoice,
    "Task": JsonataTask,
    "Parallel": JsonataParallel,
    "Map": JsonataMap,
}
