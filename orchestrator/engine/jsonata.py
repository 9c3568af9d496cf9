"""JSONata expressions as Step Functions evaluates them, on the `jsonata-python` library.

Step Functions implements JSONata 2.0.6 ("Transforming data with JSONata in Step Functions").
`jsonata-python` is a port of jsonata-java, the implementation LocalStack runs; it is imported
only when a definition holds a `{% ... %}` expression, so `import orchestrator` and JSONPath
machines never load it. Each expression is parsed once, when its definition is compiled.

What the developer guide adds to the language, checked here when an expression is compiled:

* expressions have no context item: `$` and `$$` at the top level are refused, and so is an
  unqualified field name at the top level ("You cannot use unqualified field names at top
  level"); state data comes from `$states`, variables from `$name`;
* `$eval` "is not available — use `$parse` instead"; the functions Step Functions provides on
  top (`$partition`, `$range`, `$hash`, `$random`, `$uuid`, `$parse`) are in
  `jsonata_functions.py`;
* `$states.result` and `$states.errorOutput` exist only in the fields the guide lists
  (`Reserved variable: $states`); a reference elsewhere is refused with the definition.

A failure while evaluating — a type error, an undefined value where the field needs one — is
`States.QueryEvaluationError`, which Retry and Catch see like any other error.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from .errors import QUERY_EVALUATION, DefinitionError, StatesError

#: What `$states` holds in a field: the guide's table of which members each field may read.
INPUT_ONLY = frozenset({"input", "context"})
WITH_RESULT = frozenset({"input", "context", "result"})
WITH_ERROR = frozenset({"input", "context", "errorOutput"})
_STATES_MEMBERS = frozenset({"input", "context", "result", "errorOutput"})

# String literals and regular expressions are blanked before the reference checks, so that
# `'$$'` or `/\$eval/` inside them is not mistaken for a reference.
_LITERALS = re.compile(r"\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'|/(?:\\.|[^/\\\n])+/[a-z]*")
_STATES_MEMBER = re.compile(r"\$states\s*\.\s*([A-Za-z_][A-Za-z0-9_]*)")
_FUNCTION_EVAL = re.compile(r"\$eval\s*\(")


class EvaluationFailed(StatesError):
    """States.QueryEvaluationError, with the field it happened in: the history records it in an
    `EvaluationFailed` event (API reference, EvaluationFailedEventDetails: error, cause,
    location, state), once, before Retry or Catch handle it."""

    def __init__(self, cause: str, location: str) -> None:
        super().__init__(QUERY_EVALUATION, cause)
        self.location = location
        self.reported = False

    def details(self, state: str) -> dict[str, Any]:
        self.reported = True
        return {"error": self.error, "cause": self.cause, "location": self.location, "state": state}


def is_expression(value: Any) -> bool:
    """A JSONata string field: `{%` first, `%}` last (no spaces around them)."""
    return isinstance(value, str) and value.startswith("{%") and value.endswith("%}")


def expression_text(value: str) -> str:
    return value[2:-2].strip()


class Expression:
    """One compiled `{% ... %}` expression and the field it was written in (for errors)."""

    __slots__ = ("text", "field", "_compiled")

    def __init__(self, source: str, field: str, where: str, states: frozenset[str]) -> None:
        self.text = expression_text(source)
        self.field = field
        if not self.text:
            raise DefinitionError(f"{where}: {field}: the JSONata expression is empty")
        _check_references(self.text, field, where, states)
        self._compiled = _compile(self.text, field, where)

    def evaluate(self, bindings: dict[str, Any]) -> Any:
        """The expression's value with `bindings` (`states` and the variables) in scope.

        Raises States.QueryEvaluationError when evaluation fails or the value is undefined:
        "JSON cannot represent undefined", so every field that holds an expression needs one.
        """
        library = _library()
        try:
            value = self._compiled.evaluate(bindings)
        except Exception as exc:  # the library raises JException, and Python errors it lets out
            raise EvaluationFailed(self._failure(exc), self.field) from None
        if value is None:
            raise EvaluationFailed(
                f"The JSONata expression '{self.text}' specified for the field '{self.field}' "
                f"returned nothing (undefined).",
                self.field,
            )
        try:
            return library.plain(value)
        except Exception as exc:
            raise EvaluationFailed(self._failure(exc), self.field) from None

    def _failure(self, exc: Exception) -> str:
        return (
            f"The JSONata expression '{self.text}' specified for the field '{self.field}' "
            f"threw an error during evaluation. {_library().describe(exc)}"
        )


def _check_references(text: str, field: str, where: str, states: frozenset[str]) -> None:
    code = _LITERALS.sub("''", text)
    if "$$" in code:
        raise DefinitionError(
            f"{where}: {field}: UNSUPPORTED_JSONATA_EXPRESSION: Reference to '$$' is not "
            f"supported (read the context object as $states.context)"
        )
    if _FUNCTION_EVAL.search(code):
        raise DefinitionError(
            f"{where}: {field}: $eval is not available in Step Functions; use $parse"
        )
    for member in _STATES_MEMBER.findall(code):
        if member not in _STATES_MEMBERS:
            raise DefinitionError(
                f"{where}: {field}: $states has no member {member!r} (it holds input, context, "
                f"result and errorOutput)"
            )
        if member not in states:
            raise DefinitionError(
                f"{where}: {field}: $states.{member} is not available in this field (here "
                f"$states holds {', '.join(sorted(states))})"
            )


@lru_cache(maxsize=4096)
def _compile(text: str, field: str, where: str) -> Any:
    library = _library()
    try:
        compiled = library.compile(text)
    except Exception as exc:
        raise DefinitionError(
            f"{where}: {field}: INVALID_JSONATA_EXPRESSION: {exc} in {text!r}"
        ) from None
    top = library.top_level_name(compiled)
    if top is not None:
        raise DefinitionError(
            f"{where}: {field}: UNSUPPORTED_JSONATA_EXPRESSION: Reference to {top!r} at the top "
            f"level is not supported (read the state input as $states.input.{top})"
        )
    return compiled


def _library() -> Any:
    """The library adapter, imported on first use (see the module docstring)."""
    from . import jsonata_functions

    return jsonata_functions
