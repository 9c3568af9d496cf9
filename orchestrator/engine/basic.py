"""The states that do no outside work: Pass, Choice, Wait, Succeed and Fail."""

from __future__ import annotations

from typing import Any

from .choice import Predicate, compile_rule, parse_timestamp
from .errors import NO_CHOICE, RUNTIME, DefinitionError, StatesError
from .fields import array, in_range, integer, one_of, parse_path
from .intrinsics import evaluate, is_intrinsic, parse_intrinsic
from .jsonpath import PathNotFound, compile_path, dumps
from .lane import Lane
from .spec import WAIT_MAX_SECONDS
from .state import (
    COMMON_FIELDS,
    TRANSITION_FIELDS,
    ContextFn,
    State,
    apply_result_path,
    assign_field,
    invalid_path_cause,
    result_path_field,
    template_field,
)
from .steps import Steps
from .template import argument_not_found_cause

_ABSENT: Any = object()
_WAIT_FIELDS = ("Seconds", "Timestamp", "SecondsPath", "TimestampPath")


class PassState(State):
    kind = "Pass"
    fields = COMMON_FIELDS | TRANSITION_FIELDS | {"Parameters", "Result", "ResultPath", "Assign"}

    def __init__(self, name: str, spec: dict[str, Any]) -> None:
        super().__init__(name, spec)
        self.parameters = template_field(spec, "Parameters")
        self.result = spec.get("Result", _ABSENT)
        self.result_path = result_path_field(spec, self.where)
        self.assign = assign_field(spec, self.where)

    def body(self, lane: Lane, value: Any, entered: int) -> tuple[str | None, Any]:
        effective = self.apply_input_path(value)
        if self.parameters is not None:
            effective = self.parameters.evaluate(effective, self.context_fn(lane, entered))
        result = effective if self.result is _ABSENT else self.result
        if self.assign is not None:  # `$` is the state's result
            lane.assigned = self.assign.evaluate(result, self.context_fn(lane, entered))
        output = apply_result_path(self.result_path, value, result)
        return self.next, self.apply_output_path(output)


class SucceedState(State):
    kind = "Succeed"
    fields = COMMON_FIELDS

    def body(self, lane: Lane, value: Any, entered: int) -> tuple[str | None, Any]:
        return None, self.apply_output_path(self.apply_input_path(value))


class FailState(State):
    kind = "Fail"
    # "The Fail state only allows the use of Type and Comment fields from the set of common
    # state fields" (and QueryLanguage, which any state may name).
    fields = frozenset(
        {"Type", "Comment", "QueryLanguage", "Error", "Cause", "ErrorPath", "CausePath"}
    )

    def __init__(self, name: str, spec: dict[str, Any]) -> None:
        super().__init__(name, spec)
        self.error = _fail_field(spec, "Error", self.where)
        self.cause = _fail_field(spec, "Cause", self.where)

    def run(self, lane: Lane, value: Any, text: str) -> Steps[tuple[str | None, Any, str]]:
        entered = lane.emit(
            "FailStateEntered",
            {"name": self.name, "input": text, "inputDetails": {"truncated": False}},
        )
        context = self.context_fn(lane, entered)
        try:
            error = self.error(value, context)
            cause = self.cause(value, context)
        except StatesError as exc:
            exc.locate(self.name, entered)
            raise
        failure = StatesError(error or "", cause or "")
        failure.located = True
        raise failure
        yield  # a state's run is steps (`steps.py`); a Fail state's ends at once


def _fail_field(spec: dict[str, Any], key: str, where: str) -> Any:
    """Error/Cause as a constant, or ErrorPath/CausePath (a path or an intrinsic), not both."""
    path_key = f"{key}Path"
    if one_of(spec, (key, path_key), where) != path_key:
        constant = spec.get(key)
        if constant is not None and not isinstance(constant, str):
            raise DefinitionError(f"{where}: {key} must be a string, got {dumps(constant)}")
        return lambda doc, ctx: constant
    text = str(spec[path_key])
    if is_intrinsic(text):
        call = parse_intrinsic(text)

        def apply(doc: Any, ctx: ContextFn) -> str:
            try:
                return _string_field(evaluate(call, doc, ctx), path_key)
            except PathNotFound as exc:
                cause = argument_not_found_cause(text, exc.path, doc)
                raise StatesError(RUNTIME, cause) from None

        return apply
    context = text.startswith("$$")
    path = compile_path(text[1:] if context else text)

    def read(doc: Any, ctx: ContextFn) -> str:
        try:
            return _string_field(path.get(ctx() if context else doc), path_key)
        except PathNotFound:
            raise StatesError(RUNTIME, invalid_path_cause(path)) from None

    return read


def _string_field(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise StatesError(RUNTIME, f"The {field} field must resolve to a string: {dumps(value)}")
    return value


class ChoiceState(State):
    kind = "Choice"
    # "Choice states don't support the End field. In addition, they use Next only inside their
    # Choices field."
    fields = COMMON_FIELDS | {"Choices", "Default", "Assign"}

    def __init__(self, name: str, spec: dict[str, Any]) -> None:
        super().__init__(name, spec)
        choices = array(spec, "Choices", self.where)
        if not choices:
            raise DefinitionError(f"Choice state {name!r} needs a non-empty Choices list")
        self.rules: list[tuple[Predicate, str, Any]] = []
        for i, rule in enumerate(choices):
            if not isinstance(rule, dict) or not isinstance(rule.get("Next"), str):
                raise DefinitionError(f"{self.where} Choices[{i}]: a rule needs a Next state name")
            if "Output" in rule or "Condition" in rule:
                field = "Output" if "Output" in rule else "Condition"
                raise DefinitionError(
                    f"{self.where} Choices[{i}]: The QueryLanguage is set to 'JSONPath', but "
                    f"field '{field}' is only supported for the 'JSONata' QueryLanguage"
                )
            # A matched rule's Assign replaces the state's, which applies to Default.
            assign = assign_field(rule, f"{self.where} Choices[{i}]")
            rule = {k: v for k, v in rule.items() if k != "Assign"}
            self.rules.append((compile_rule(rule), rule["Next"], assign))
        self.default: str | None = spec.get("Default")
        self.assign = assign_field(spec, self.where)

    def body(self, lane: Lane, value: Any, entered: int) -> tuple[str | None, Any]:
        effective = self.apply_input_path(value)
        context = self.context_fn(lane, entered)
        for predicate, target, assign in self.rules:
            if predicate(effective, context):
                if assign is not None:
                    lane.assigned = assign.evaluate(effective, context)
                return target, self.apply_output_path(effective)
        if self.default is None:
            raise StatesError(NO_CHOICE, "No Matches!")
        if self.assign is not None:
            lane.assigned = self.assign.evaluate(effective, context)
        return self.default, self.apply_output_path(effective)


class WaitState(State):
    kind = "Wait"
    fields = COMMON_FIELDS | TRANSITION_FIELDS | set(_WAIT_FIELDS) | {"Assign"}

    def __init__(self, name: str, spec: dict[str, Any]) -> None:
        super().__init__(name, spec)
        self.assign = assign_field(spec, self.where)
        self.field = str(one_of(spec, _WAIT_FIELDS, self.where, required=True))
        self.value = spec[self.field]
        if self.field.endswith("Path"):
            self.path = parse_path(self.value, self.field, self.where)
        elif self.field == "Seconds":
            integer(spec, "Seconds", self.where, 0, WAIT_MAX_SECONDS)
        elif parse_timestamp(self.value) is None:
            raise DefinitionError(f"Wait state {name!r}: invalid Timestamp {self.value!r}")

    def body(self, lane: Lane, value: Any, entered: int) -> tuple[str | None, Any]:
        effective = self.apply_input_path(value)
        lane.sleep(self.name, self._seconds(lane, effective))
        if self.assign is not None:
            lane.assigned = self.assign.evaluate(effective, self.context_fn(lane, entered))
        return self.next, self.apply_output_path(effective)

    def _seconds(self, lane: Lane, effective: Any) -> float:
        # AWS's causes for a SecondsPath/TimestampPath that selects nothing usable (LocalStack's
        # seconds_path.py and timestamp_path.py; the TimestampPath one is in its AWS-recorded
        # base/test_wait.snapshot.json). "does not reference an input value" for a missing
        # TimestampPath is SecondsPath's wording, by analogy: no recording has it.
        raw = self.value
        if self.field.endswith("Path"):
            try:
                raw = self.path.get(effective)
            except PathNotFound:
                raise StatesError(
                    RUNTIME,
                    f"The {self.field} parameter does not reference an input value: "
                    f"{self.path.text}",
                ) from None
            assignment = f"{self.path.text} == {raw if isinstance(raw, str) else dumps(raw)}"
        if self.field.startswith("Seconds"):
            if self.field == "SecondsPath" and not in_range(raw, 0, None, integral=True):
                negative = in_range(raw, -float("inf"), None, integral=True)
                problem = (
                    "references a negative value"
                    if negative
                    else ("cannot be parsed as a long value")
                )
                raise StatesError(RUNTIME, f"The SecondsPath parameter {problem}: {assignment}")
            seconds = float(raw)
        else:
            moment = parse_timestamp(raw)
            if moment is None:
                raise StatesError(
                    RUNTIME,
                    "The TimestampPath parameter does not reference a valid ISO-8601 extended "
                    f"offset date-time format string: {assignment}",
                )
            seconds = max((moment - lane.run.clock.now()).total_seconds(), 0.0)
        if seconds > lane.run.max_wait:
            # A wait past the longest an execution of this type may run cannot end: AWS fails
            # the state rather than sleep (no recorded wording; this text is ours).
            raise StatesError(
                RUNTIME,
                f"The Wait of {seconds:g} seconds exceeds the maximum wait time of this "
                f"execution's type ({lane.run.max_wait:g} seconds)",
            )
        return seconds
