"""JSONata-mode Pass, Succeed, Fail, Wait and Choice states.

In JSONata mode a state reads its input as `$states.input` and the context object as
`$states.context`; `Output` (default: the input) replaces InputPath, Parameters, ResultPath and
OutputPath, and `Assign` sets variables (developer guide, "Transforming data with JSONata",
and each state's page). Choice rules test a `Condition`; a matched rule's `Output` and
`Assign` apply, the state's own apply when `Default` is taken. Wait's `Seconds`/`Timestamp`
and Fail's `Error`/`Cause` may be expressions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .choice import parse_timestamp
from .errors import NO_CHOICE, DefinitionError, StatesError
from .fields import array, in_range, integer, one_of, refuse_unknown
from .jsonata import INPUT_ONLY, EvaluationFailed, is_expression
from .jsonpath import dumps
from .lane import Lane
from .query import NOT_CONSTANT, JsonataTemplate, states_of
from .spec import WAIT_MAX_SECONDS
from .state import TRANSITION_FIELDS, ContextFn, State, report_evaluation
from .steps import Steps
from .variables import check_name

#: The fields every JSONata state may have (ASL common fields less the JSONPath ones).
JSONATA_COMMON = frozenset({"Type", "Comment", "QueryLanguage"})


def template(
    spec: dict[str, Any], key: str, where: str, states: frozenset[str], field: str | None = None
) -> JsonataTemplate | None:
    """An optional JSONata field (`field` names it in errors; the key by default)."""
    if key not in spec:
        return None
    return JsonataTemplate(spec[key], field or key, where, states)


def assign(
    spec: dict[str, Any], where: str, states: frozenset[str], prefix: str = ""
) -> JsonataTemplate | None:
    """An optional JSONata `Assign`: an object whose keys are variable names."""
    if "Assign" not in spec:
        return None
    value = spec["Assign"]
    if not isinstance(value, dict):
        raise DefinitionError(f"{where}: {prefix}Assign must be an object, got {dumps(value)}")
    for name in value:
        check_name(name, f"{where} {prefix}Assign")
    return JsonataTemplate(value, f"{prefix}Assign", where, states)


def reads_context(*templates: JsonataTemplate | None) -> bool:
    return any(t is not None and t.reads_context for t in templates)


def settle(
    lane: Lane,
    states: dict[str, Any],
    output: JsonataTemplate | None,
    assignment: JsonataTemplate | None,
    default: Any,
) -> Any:
    """A state's Assign (kept for its exit) and Output (or `default`), both over `states`."""
    if assignment is not None:
        lane.assigned = assignment.evaluate(states)
    return default if output is None else output.evaluate(states)


class JsonataPass(State):
    kind = "Pass"
    fields = JSONATA_COMMON | TRANSITION_FIELDS | {"Output", "Assign"}

    def __init__(self, name: str, spec: dict[str, Any]) -> None:
        super().__init__(name, spec)
        self.output = template(spec, "Output", self.where, INPUT_ONLY)
        self.assign = assign(spec, self.where, INPUT_ONLY)
        self.reads_context = reads_context(self.output, self.assign)

    def body(self, lane: Lane, value: Any, entered: int) -> tuple[str | None, Any]:
        states = states_of(value, self.context_fn(lane, entered), self.reads_context)
        return self.next, settle(lane, states, self.output, self.assign, value)


class JsonataSucceed(State):
    kind = "Succeed"
    fields = JSONATA_COMMON | {"Output"}

    def __init__(self, name: str, spec: dict[str, Any]) -> None:
        super().__init__(name, spec)
        self.output = template(spec, "Output", self.where, INPUT_ONLY)

    def body(self, lane: Lane, value: Any, entered: int) -> tuple[str | None, Any]:
        if self.output is None:
            return None, value
        context = self.context_fn(lane, entered)
        return None, self.output.evaluate(states_of(value, context, self.output.reads_context))


class JsonataFail(State):
    kind = "Fail"
    fields = JSONATA_COMMON | {"Error", "Cause"}

    def __init__(self, name: str, spec: dict[str, Any]) -> None:
        super().__init__(name, spec)
        self.error = self._field(spec, "Error")
        self.cause = self._field(spec, "Cause")

    def _field(self, spec: dict[str, Any], key: str) -> JsonataTemplate | None:
        value = spec.get(key)
        if value is not None and not isinstance(value, str):
            raise DefinitionError(f"{self.where}: {key} must be a string, got {dumps(value)}")
        return template(spec, key, self.where, INPUT_ONLY)

    def run(self, lane: Lane, value: Any, text: str) -> Steps[tuple[str | None, Any, str]]:
        entered = lane.emit(
            "FailStateEntered",
            {"name": self.name, "input": text, "inputDetails": {"truncated": False}},
        )
        context = self.context_fn(lane, entered)
        try:
            error = _string(self.error, "Error", value, context)
            cause = _string(self.cause, "Cause", value, context)
        except StatesError as exc:
            report_evaluation(lane, exc, self.name)
            exc.locate(self.name, entered)
            raise
        failure = StatesError(error, cause)
        failure.located = True
        raise failure
        yield  # a state's run is steps (`steps.py`); a Fail state's ends at once


def _string(field: JsonataTemplate | None, key: str, value: Any, context: ContextFn) -> str:
    if field is None:
        return ""
    result = field.evaluate(states_of(value, context, field.reads_context))
    if not isinstance(result, str):
        raise EvaluationFailed(
            f"The value of the field '{key}' must be a string, got {dumps(result)}", key
        )
    return result


class JsonataWait(State):
    kind = "Wait"
    fields = JSONATA_COMMON | TRANSITION_FIELDS | {"Seconds", "Timestamp", "Output", "Assign"}

    def __init__(self, name: str, spec: dict[str, Any]) -> None:
        super().__init__(name, spec)
        self.field = str(one_of(spec, ("Seconds", "Timestamp"), self.where, required=True))
        given = spec[self.field]
        if not is_expression(given):
            if self.field == "Seconds":
                integer(spec, "Seconds", self.where, 0, WAIT_MAX_SECONDS)
            elif parse_timestamp(given) is None:
                raise DefinitionError(f"Wait state {name!r}: invalid Timestamp {given!r}")
        self.when = JsonataTemplate(given, self.field, self.where, INPUT_ONLY)
        self.output = template(spec, "Output", self.where, INPUT_ONLY)
        self.assign = assign(spec, self.where, INPUT_ONLY)
        self.reads_context = reads_context(self.when, self.output, self.assign)

    def body(self, lane: Lane, value: Any, entered: int) -> tuple[str | None, Any]:
        states = states_of(value, self.context_fn(lane, entered), self.reads_context)
        lane.sleep(self.name, self._seconds(lane, self.when.evaluate(states)))
        return self.next, settle(lane, states, self.output, self.assign, value)

    def _seconds(self, lane: Lane, raw: Any) -> float:
        if self.field == "Seconds":
            if not in_range(raw, 0, WAIT_MAX_SECONDS, integral=True):
                raise EvaluationFailed(
                    f"The Seconds field must evaluate to an integer from 0 to "
                    f"{WAIT_MAX_SECONDS}: {dumps(raw)}",
                    "Seconds",
                )
            return float(raw)
        moment = parse_timestamp(raw)
        if moment is None:
            raise EvaluationFailed(
                f"The Timestamp field must evaluate to a timestamp: {dumps(raw)}", "Timestamp"
            )
        return max((moment - lane.run.clock.now()).total_seconds(), 0.0)


_RULE_FIELDS = frozenset({"Condition", "Next", "Comment", "Output", "Assign"})
Rule = tuple[Callable[[dict[str, Any]], bool], str, JsonataTemplate | None, JsonataTemplate | None]


class JsonataChoice(State):
    kind = "Choice"
    fields = JSONATA_COMMON | {"Choices", "Default", "Output", "Assign"}

    def __init__(self, name: str, spec: dict[str, Any]) -> None:
        super().__init__(name, spec)
        choices = array(spec, "Choices", self.where)
        if not choices:
            raise DefinitionError(f"Choice state {name!r} needs a non-empty Choices list")
        self.rules = [self._rule(i, rule) for i, rule in enumerate(choices)]
        self.default: str | None = spec.get("Default")
        self.output = template(spec, "Output", self.where, INPUT_ONLY)
        self.assign = assign(spec, self.where, INPUT_ONLY)
        parts = [self.output, self.assign]
        for condition, _, output, assignment in self.rules:
            parts += [getattr(condition, "template", None), output, assignment]
        self.reads_context = reads_context(*parts)

    def _rule(self, index: int, rule: Any) -> Rule:
        at = f"{self.where} Choices[{index}]"
        prefix = f"Choices[{index}]/"
        if not isinstance(rule, dict) or not isinstance(rule.get("Next"), str):
            raise DefinitionError(f"{at}: a rule needs a Next state name")
        for key in rule:
            if key not in _RULE_FIELDS:
                raise DefinitionError(
                    f"{at}: The QueryLanguage is set to 'JSONata', but field {key!r} is not "
                    f"supported in a Choice rule (a JSONata rule tests a Condition)"
                )
        refuse_unknown(rule, _RULE_FIELDS, at)
        if "Condition" not in rule:
            raise DefinitionError(f"{at}: a JSONata Choice rule needs a Condition")
        condition = _condition(rule["Condition"], f"{prefix}Condition", at)
        output = template(rule, "Output", at, INPUT_ONLY, f"{prefix}Output")
        assignment = assign(rule, at, INPUT_ONLY, prefix)
        return condition, rule["Next"], output, assignment

    def body(self, lane: Lane, value: Any, entered: int) -> tuple[str | None, Any]:
        states = states_of(value, self.context_fn(lane, entered), self.reads_context)
        for condition, target, output, assignment in self.rules:
            if condition(states):
                return target, settle(lane, states, output, assignment, value)
        if self.default is None:
            raise StatesError(NO_CHOICE, "No Matches!")
        return self.default, settle(lane, states, self.output, self.assign, value)


class _Condition:
    """A rule's Condition: `true`/`false`, or an expression that must give a boolean."""

    def __init__(self, compiled: JsonataTemplate, field: str) -> None:
        self.template = compiled
        self.field = field

    def __call__(self, states: dict[str, Any]) -> bool:
        result = self.template.evaluate(states)
        if not isinstance(result, bool):
            raise EvaluationFailed(
                f"The JSONata expression specified for the field '{self.field}' must evaluate "
                f"to a boolean, got {dumps(result)}",
                self.field,
            )
        return result


def _condition(value: Any, field: str, where: str) -> _Condition:
    if not isinstance(value, bool) and not is_expression(value):
        raise DefinitionError(
            f"{where}: Condition must be a boolean or a JSONata expression, got {dumps(value)}"
        )
    compiled = JsonataTemplate(value, field, where, INPUT_ONLY)
    if compiled.constant is not NOT_CONSTANT and not isinstance(compiled.constant, bool):
        raise DefinitionError(f"{where}: Condition must be a boolean, got {dumps(value)}")
    return _Condition(compiled, field)
