"""Errors the interpreter raises and the ASL error-name matching rules.

A failing state is modelled as a Python exception carrying the Step Functions `Error` and `Cause`
strings, so the state's Retry/Catch machinery and the enclosing Parallel/Map see exactly what the
execution history reports.
"""

from __future__ import annotations

from collections.abc import Sequence

ALL = "States.ALL"
TASK_FAILED = "States.TaskFailed"
RUNTIME = "States.Runtime"
TIMEOUT = "States.Timeout"
DATA_LIMIT = "States.DataLimitExceeded"
NO_CHOICE = "States.NoChoiceMatched"
TOLERATED = "States.ExceedToleratedFailureThreshold"
BRANCH_FAILED = "States.BranchFailed"
INTRINSIC_FAILURE = "States.IntrinsicFailure"
#: A JSONata expression failed or returned nothing ("Transforming data with JSONata").
QUERY_EVALUATION = "States.QueryEvaluationError"

# States.Runtime is never retried or caught ("Handling errors": a retry or catch on States.ALL
# won't catch States.Runtime errors). The guide also calls States.DataLimitExceeded "a terminal
# error that can't be caught by the States.ALL error type", but AWS does catch it: a lambda:invoke
# Task whose result is over the quota goes to its States.ALL catcher (LocalStack's snapshot
# test_states_errors::test_service_task_lambada_catch_state_all_data_limit_exceeded_on_large_
# utf8_response, recorded against AWS). We follow the recorded behaviour.
# AWS: States.TaskFailed "acts as a wildcard that matches any known error name except for
# States.Timeout" (kept from matching DataLimitExceeded too, as before: no recording says).
_NOT_MATCHED_BY_TASK_FAILED = frozenset({TIMEOUT, DATA_LIMIT})


# The errors whose cause AWS prefixes with where they happened (a JSONata failure too: "An
# error occurred while executing the state 'X' (entered at the event id #6). The JSONata
# expression '...' specified for the field 'Arguments/...' returned nothing (undefined).").
_LOCATED_ERRORS = frozenset({RUNTIME, QUERY_EVALUATION})


class DefinitionError(ValueError):
    """The ASL document is malformed or uses a feature this interpreter refuses to fake."""


class LambdaFunctionError(Exception):
    """An unhandled error inside a Lambda function, as Lambda reports it.

    `error_type` becomes the state's `Error` (the exception class name) and `cause` its `Cause`
    (Lambda's error JSON string, see `orchestrator.runtime.error_payload.error_cause`).
    """

    def __init__(self, error_type: str, cause: str) -> None:
        super().__init__(f"{error_type}: {cause}")
        self.error_type = error_type
        self.cause = cause


class StatesError(Exception):
    """A state failed with a Step Functions error name and cause."""

    def __init__(self, error: str, cause: str = "") -> None:
        super().__init__(f"{error}: {cause}")
        self.error = error
        self.cause = cause
        # States.Runtime causes get "An error occurred while executing the state ..." once, by
        # the innermost state, even when the error then crosses Parallel/Map boundaries.
        self.located = False

    def locate(self, state: str, entered_event_id: int) -> None:
        if self.error in _LOCATED_ERRORS and not self.located:
            self.cause = (
                f"An error occurred while executing the state '{state}' "
                f"(entered at the event id #{entered_event_id}). {self.cause}"
            )
        self.located = True


class ExecutionTimedOut(Exception):
    """The state machine's top-level TimeoutSeconds elapsed: no Retry or Catch applies."""


class BranchAborted(Exception):
    """A sibling branch or iteration failed, so this one stops at its next step."""


def matches(error_equals: Sequence[str], error: str) -> bool:
    """Whether a Retrier's or Catcher's `ErrorEquals` list matches `error`."""
    if error == RUNTIME:
        # Runtime errors (bad paths, bad intrinsic arguments) are never retried or caught.
        return False
    if error in error_equals or ALL in error_equals:
        return True
    return TASK_FAILED in error_equals and error not in _NOT_MATCHED_BY_TASK_FAILED
