"""The common shape of every state: entered/exited events, size limits and the path fields.

A state runs as `run(lane, input, input_json) -> (next, output, output_json)`. The JSON text of a
document is produced once, when the state that made it exits (for its event and the 256 KiB
check), and handed to the next state for its `...StateEntered` event: one serialisation per
state.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from .context_object import LazyContext
from .errors import DATA_LIMIT, RUNTIME, DefinitionError, StatesError
from .fields import path, refuse_unknown
from .jsonata import EvaluationFailed
from .jsonpath import Path, PathNotFound, VariablePath, dumps
from .lane import Lane
from .spec import MAX_PAYLOAD_BYTES
from .steps import Steps
from .template import Template
from .variables import check_name, commit, entering, names_of_jsonpath_assign

_NOT_TRUNCATED = {"truncated": False}
_IDENTITY: Any = object()  # a path field set to "$"
_NULL: Any = object()  # a path field set to null

# The fields every state type defines, and those of states that move on (not Choice, Succeed,
# Fail). Each state class lists its own on top; anything else is refused (ASL: a state MUST NOT
# have fields its type does not define; CreateStateMachine reports SCHEMA_VALIDATION_FAILED).
COMMON_FIELDS = frozenset({"Type", "Comment", "QueryLanguage", "InputPath", "OutputPath"})
TRANSITION_FIELDS = frozenset({"Next", "End"})

ContextFn = Callable[[], Any]


def report_evaluation(lane: Lane, error: StatesError, state: str) -> None:
    """A JSONata evaluation failure's `EvaluationFailed` event, once (jsonata.py)."""
    if isinstance(error, EvaluationFailed) and not error.reported:
        lane.emit("EvaluationFailed", error.details(state))


def payload_size(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8"))


def check_size(text: str, state: str, what: str = "output") -> None:
    if payload_size(text) > MAX_PAYLOAD_BYTES:
        raise (
            StatesError(
                DATA_LIMIT,
                f"The state/task '{state}' returned a result with a size exceeding the maximum "
                f"number of bytes service limit.",
            )
            if what == "output"
            else StatesError(
                DATA_LIMIT,
                f"The state/task '{state}' has an {what} with a size exceeding the maximum number "
                f"of bytes service limit.",
            )
        )


def _path_field(spec: dict[str, Any], key: str, where: str, reference: bool) -> Any:
    """InputPath, OutputPath, ResultPath: absent or "$" is the identity, null is special.

    InputPath and OutputPath may select from the context object (`$$.Execution.Input`, `$$`:
    "JSONPath states can refer to the context ($$.) from the following JSONPath fields:
    InputPath, OutputPath, ItemsPath, Variable, ResultSelector, Parameters"); ResultPath may not.
    """
    text = spec.get(key, "$")
    if text is None:
        return _NULL
    if isinstance(text, str) and text.startswith("$$"):
        if reference:
            raise DefinitionError(f"{where}: {key} {text!r} cannot select from the context object")
        return ContextPath(text, path({key: text[1:]}, key, where, reference))
    return _IDENTITY if text == "$" else path(spec, key, where, reference)


# The context object of the state a thread is running, for its `$$` InputPath/OutputPath: set
# only by states that have one (each lane runs on its own thread).
_RUNNING = threading.local()


class ContextPath:
    """A `$$...` InputPath or OutputPath: the path applied to the running state's `$$`."""

    __slots__ = ("text", "path", "steps")

    def __init__(self, text: str, path: Path | None) -> None:
        assert path is not None
        self.text = text
        self.path = path
        self.steps = path.steps

    def get(self, document: Any) -> Any:
        return self.path.get(_RUNNING.context())


def invalid_path_cause(path: Path | ContextPath) -> str:
    steps = path.steps or ()
    selector = "".join(f"[{s}]" if isinstance(s, int) else f"['{s}']" for s in steps)
    return f"Invalid path '{path.text}' : No results for path: ${selector}"


class State:
    """Base class: `body` does the state's own work between its entered and exited events."""

    kind = "Pass"
    fields = COMMON_FIELDS | TRANSITION_FIELDS
    #: `$$.State.RetryCount` as the state is entered: only Task states have one (AWS's context
    #: object in a Pass state has State.Name and State.EnteredTime only; LocalStack's
    #: context_object snapshots, recorded against AWS).
    retry_count_at_entry: int | None = None

    def __init__(self, name: str, spec: dict[str, Any]) -> None:
        self.name = name
        self.spec = spec
        self.where = f"state {name!r}"
        refuse_unknown(spec, self.fields, self.where)
        self.next: str | None = None if spec.get("End") else spec.get("Next")
        self.entered_type = f"{self.kind}StateEntered"
        self.exited_type = f"{self.kind}StateExited"
        self.input_path = _path_field(spec, "InputPath", self.where, reference=False)
        self.output_path = _path_field(spec, "OutputPath", self.where, reference=False)
        self.context_paths = isinstance(self.input_path, ContextPath) or isinstance(
            self.output_path, ContextPath
        )

    def run(self, lane: Lane, value: Any, text: str) -> Steps[tuple[str | None, Any, str]]:
        variables = lane.variables
        if variables is not None:
            entering(variables)
            lane.assigned = None
        entered = lane.emit(
            self.entered_type, {"name": self.name, "input": text, "inputDetails": _NOT_TRUNCATED}
        )
        if self.context_paths:
            return (yield from self._run_with_context(lane, value, entered))
        return (yield from self._finish(lane, value, entered))

    def _finish(self, lane: Lane, value: Any, entered: int) -> Steps[tuple[str | None, Any, str]]:
        try:
            next_, output = yield from self.steps(lane, value, entered)
            out_text = dumps(output)
            check_size(out_text, self.name)
            exited = {"name": self.name, "output": out_text, "outputDetails": _NOT_TRUNCATED}
            assigned = lane.assigned
            variables = lane.variables
            if assigned is not None and variables is not None:
                # The state's Assign takes effect as it exits (variables.py).
                exited["assignedVariables"] = commit(variables, assigned, self.name)
                exited["assignedVariablesDetails"] = _NOT_TRUNCATED
                lane.assigned = None
        except StatesError as exc:
            report_evaluation(lane, exc, self.name)
            exc.locate(self.name, entered)
            raise
        lane.emit(self.exited_type, exited)
        return next_, output, out_text

    def _run_with_context(
        self, lane: Lane, value: Any, entered: int
    ) -> Steps[tuple[str | None, Any, str]]:
        """`run` for a state with a `$$` path: its context is the thread's while it runs (and
        the enclosing state's again after, should its iterations have run on this thread).
        Set again at every step, since a lane may go on on another thread after a call."""
        context = self.context_fn(lane, entered, self.retry_count_at_entry)
        inner = self._finish(lane, value, entered)
        send: Any = None
        throw: BaseException | None = None
        while True:
            outer = getattr(_RUNNING, "context", None)
            _RUNNING.context = context
            try:
                call = inner.send(send) if throw is None else inner.throw(throw)
            except StopIteration as stop:
                return stop.value
            finally:
                _RUNNING.context = outer
            send = throw = None
            try:
                send = yield call
            except BaseException as exc:  # the call's, thrown back into the state
                throw = exc

    def steps(self, lane: Lane, value: Any, entered: int) -> Steps[tuple[str | None, Any]]:
        """The state's work as steps: `body`, for the states that make no call."""
        return self.body(lane, value, entered)
        yield  # a generator, finishing in one step

    def body(self, lane: Lane, value: Any, entered: int) -> tuple[str | None, Any]:
        raise NotImplementedError

    def context_fn(self, lane: Lane, entered: int, retry_count: int | None = None) -> ContextFn:
        """A lazy `$$`: most states never read it, so it is built only on demand."""
        name = self.name

        def build() -> dict[str, Any]:
            stamp = lane.run.recorder.events[entered - 1].timestamp
            return lane.context(name, stamp, retry_count)

        return LazyContext(name, retry_count, lane.run.execution_context, build)

    def apply_input_path(self, value: Any) -> Any:
        return _select(self.input_path, value)

    def apply_output_path(self, value: Any) -> Any:
        return _select(self.output_path, value)


def result_path_field(spec: dict[str, Any], where: str) -> Any:
    """ResultPath: "$" (or absent) replaces, null keeps the input, a reference path merges."""
    field = _path_field(spec, "ResultPath", where, reference=True)
    if isinstance(field, VariablePath):
        raise DefinitionError(f"{where}: ResultPath {field.text!r} cannot write to a variable")
    return field


def assign_field(spec: dict[str, Any], where: str) -> Template | None:
    """A JSONPath state's (or Choice rule's, or catcher's) `Assign`: a payload template whose
    keys name the variables (`variables.py`); `$` is what the state type documents."""
    if "Assign" not in spec:
        return None
    for name in names_of_jsonpath_assign(spec["Assign"], where):
        check_name(name, f"{where} Assign")
    return Template(spec["Assign"])


def apply_result_path(path: Any, raw_input: Any, result: Any) -> Any:
    if path is _IDENTITY:
        return result
    if path is _NULL:
        return raw_input
    try:
        return path.set(raw_input, result)
    except PathNotFound:
        raise StatesError(
            RUNTIME, f"Unable to apply ReferencePath {path.text} to input {dumps(raw_input)}"
        ) from None


def template_field(spec: dict[str, Any], *keys: str) -> Template | None:
    for key in keys:
        if key in spec:
            return Template(spec[key])
    return None


def _select(path: Any, value: Any) -> Any:
    """InputPath/OutputPath: `$` keeps the value, null gives {}, a path must match."""
    if path is _IDENTITY:
        return value
    if path is _NULL:
        return {}
    try:
        return path.get(value)
    except PathNotFound:
        raise StatesError(RUNTIME, invalid_path_cause(path)) from None
