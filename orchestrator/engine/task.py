"""Task states that invoke Lambda functions through the caller's `LambdaInvoker`.

Two resource shapes are supported, as Step Functions runs them:

* `arn:aws:states:::lambda:invoke`: calls `invoke(Parameters.FunctionName, Parameters.Payload)`
  (a string Payload is sent as the raw request body: the function gets the JSON it holds); the
  raw result is Lambda's whole Invoke response (`lambda_response.py`: ExecutedVersion, LogResult
  with `"LogType": "Tail"`, Payload, SdkHttpMetadata, SdkResponseMetadata, StatusCode). Flows
  (per the data contract) read only `$.Payload`. Events: TaskScheduled/Started/...
* a bare function ARN (or an unresolved `${...}` placeholder): calls `invoke(resource, input)`
  and the result is the payload itself. Events: LambdaFunctionScheduled/Started/...

An invoker raising `LambdaFunctionError` fails the state with its `error_type` and `cause` (an
error payload re-encoded compactly, as Step Functions does). Any other exception fails it with
the exception's class name and `str(exc)`, so a crashing local invoker still surfaces through
Retry/Catch like a failing function would. `HeartbeatSeconds` is accepted and reported, but a
`lambda:invoke` task never sends heartbeats, so it cannot trip.
"""

from __future__ import annotations

import json
from typing import Any

from .errors import (
    RUNTIME,
    TIMEOUT,
    DefinitionError,
    LambdaFunctionError,
    StatesError,
)
from .fields import in_range, integer, one_of, path
from .jsonpath import PathNotFound, dumps
from .lambda_response import (
    LambdaResponse,
    compact_cause,
    invoke_result,
    platform_log,
    request_id,
    unpack,
)
from .lane import Lane
from .retry import RecoverableState
from .spec import LAMBDA_INVOKE, START_EXECUTION_SYNC2, TASK_MAX_TIMEOUT_SECONDS
from .state import (
    check_size,
    invalid_path_cause,
    template_field,
)
from .steps import Steps

_NOT_TRUNCATED = {"truncated": False}
# The Invoke parameters of lambda:invoke ("Invoke Lambda with Step Functions"), and those the
# local engine cannot honour: the invoker is given a function name and a payload only.
_INVOKE_PARAMETERS = frozenset(
    {"FunctionName", "Payload", "LogType", "Qualifier", "InvocationType", "ClientContext"}
)
_NOT_LOCAL_PARAMETERS = {
    "Qualifier": "the local invoker runs the function it is given by name",
    "ClientContext": "the local invoker gets no client context",
    "InvocationType": "only RequestResponse runs locally (Event and DryRun return no result)",
}
_LOG_TYPES = ("None", "Tail")


class TaskState(RecoverableState):
    kind = "Task"
    retry_count_at_entry = 0
    child = False  # a startExecution.sync:2 Task: runs a child execution (child_execution.py)
    fields = RecoverableState.fields | {
        "Resource",
        "Parameters",
        "Credentials",
        "TimeoutSeconds",
        "TimeoutSecondsPath",
        "HeartbeatSeconds",
        "HeartbeatSecondsPath",
    }

    def __init__(self, name: str, spec: dict[str, Any]) -> None:
        super().__init__(name, spec)
        resource = spec.get("Resource")
        if not isinstance(resource, str) or not resource:
            raise DefinitionError(f"state {name!r}: a Task needs a Resource (an ARN string)")
        if "Credentials" in spec:
            raise DefinitionError(
                f"state {name!r}: Credentials (cross-account roles) is not supported locally"
            )
        self.resource = resource
        if resource == START_EXECUTION_SYNC2:
            from .child_execution import check_parameters

            check_parameters(spec.get("Parameters"), self.where)
            self.child, self.integration = True, False
        elif resource.startswith(LAMBDA_INVOKE):
            if resource != LAMBDA_INVOKE:
                raise DefinitionError(
                    f"state {name!r}: {resource} is not supported locally (only "
                    f"{LAMBDA_INVOKE} and Lambda function ARNs; callback and .sync patterns "
                    "are out of scope)"
                )
            self.integration = True
        elif resource.startswith("arn:aws:lambda:") or resource.startswith("${"):
            self.integration = False
        else:
            raise DefinitionError(f"state {name!r}: unsupported Task resource {resource!r}")
        self.parameters = template_field(spec, "Parameters")
        if self.integration:
            _check_invoke_parameters(spec.get("Parameters"), self.where)
        self.result_selector = template_field(spec, "ResultSelector")
        self._parse_timeouts(spec)

    def _parse_timeouts(self, spec: dict[str, Any]) -> None:
        """TimeoutSeconds/HeartbeatSeconds: positive integers, heartbeat below timeout; each
        given either as a number or as a ...Path, not both."""
        where = self.where
        one_of(spec, ("TimeoutSeconds", "TimeoutSecondsPath"), where)
        one_of(spec, ("HeartbeatSeconds", "HeartbeatSecondsPath"), where)
        self.timeout = integer(spec, "TimeoutSeconds", where, 1, TASK_MAX_TIMEOUT_SECONDS)
        self.timeout_path = path(spec, "TimeoutSecondsPath", where)
        self.heartbeat = integer(spec, "HeartbeatSeconds", where, 1, TASK_MAX_TIMEOUT_SECONDS)
        path(spec, "HeartbeatSecondsPath", where)  # checked; a lambda:invoke never heartbeats
        if (
            self.heartbeat is not None
            and self.timeout is not None
            and self.heartbeat >= self.timeout
        ):
            raise DefinitionError(
                f"{where}: HeartbeatSeconds ({self.heartbeat}) must be less than TimeoutSeconds "
                f"({self.timeout})"
            )

    def _timeout(self, value: Any) -> int | None:
        if self.timeout_path is None:
            return self.timeout
        try:
            seconds = self.timeout_path.get(value)
        except PathNotFound:
            raise StatesError(RUNTIME, invalid_path_cause(self.timeout_path)) from None
        if not in_range(seconds, 1, TASK_MAX_TIMEOUT_SECONDS, integral=True):
            raise StatesError(
                RUNTIME, f"The TimeoutSecondsPath must resolve to a positive integer: {seconds}"
            )
        return seconds

    def attempt_steps(self, lane: Lane, value: Any, entered: int, retry_count: int) -> Steps[Any]:
        context = self.context_fn(lane, entered, retry_count)
        effective = self.apply_input_path(value)
        if self.parameters is not None:
            effective = self.parameters.evaluate(effective, context)
        timeout = self._timeout(value)
        if self.child:
            from .child_execution import run_child

            raw = yield from run_child(lane, effective, timeout)
        elif self.integration:
            raw = yield from self._invoke_api(lane, effective, timeout)
        else:
            raw = yield from self._invoke_function(lane, effective, timeout)
        if self.result_selector is not None:
            return self.result_selector.evaluate(raw, context)
        return raw

    def _invoke_api(self, lane: Lane, parameters: Any, timeout: int | None) -> Steps[Any]:
        if not isinstance(parameters, dict) or "FunctionName" not in parameters:
            raise StatesError(
                RUNTIME,
                f"The Parameters of {LAMBDA_INVOKE} must be an object with a FunctionName: "
                f"{dumps(parameters)}",
            )
        log_type = parameters.get("LogType", "None")
        if log_type not in _LOG_TYPES:
            raise StatesError(
                RUNTIME, f"LogType must be one of {', '.join(_LOG_TYPES)}, got {dumps(log_type)}"
            )
        tail = log_type == "Tail"
        text = dumps(parameters)
        check_size(text, self.name, "input")
        scheduled: dict[str, Any] = {
            "resourceType": "lambda",
            "resource": "invoke",
            "region": lane.run.region,
            "parameters": text,
        }
        if timeout is not None:
            scheduled["timeoutInSeconds"] = timeout
        if self.heartbeat is not None:
            scheduled["heartbeatInSeconds"] = self.heartbeat
        lane.emit("TaskScheduled", scheduled)
        lane.emit("TaskStarted", {"resourceType": "lambda", "resource": "invoke"})
        # The function gets its own copy, as it would get bytes over the wire: a handler that
        # mutates its event cannot corrupt the state document.
        payload = _request_body(json.loads(text).get("Payload"))
        function = parameters["FunctionName"]
        started = lane.run.clock.now() if tail else None
        response, payload_text = yield from self._call(lane, "Task", function, payload, timeout)
        request = request_id(response)
        log = None
        if started is not None:
            log = response.log_result
            if log is None:
                took = (lane.run.clock.now() - started).total_seconds()
                log = platform_log(request, response.executed_version, took)
        result, output = invoke_result(response, payload_text, request, lane.run.clock.now(), log)
        self._succeeded(lane, "TaskSucceeded", output)
        return result

    def _invoke_function(self, lane: Lane, effective: Any, timeout: int | None) -> Steps[Any]:
        text = dumps(effective)
        check_size(text, self.name, "input")
        scheduled: dict[str, Any] = {
            "resource": self.resource,
            "input": text,
            "inputDetails": _NOT_TRUNCATED,
        }
        if timeout is not None:
            scheduled["timeoutInSeconds"] = timeout
        lane.emit("LambdaFunctionScheduled", scheduled)
        lane.emit("LambdaFunctionStarted", {})
        _, payload_text = yield from self._call(
            lane, "LambdaFunction", self.resource, json.loads(text), timeout
        )
        self._succeeded(lane, "LambdaFunctionSucceeded", payload_text)
        return json.loads(payload_text)

    def _succeeded(self, lane: Lane, event: str, output: str) -> None:
        try:
            # AWS names the resource, not the state: 'lambda' for lambda:invoke, the function's
            # ARN otherwise (LocalStack's test_states_errors snapshots, recorded against AWS).
            check_size(output, "lambda" if self.integration else self.resource)
        except StatesError as exc:
            self._failed(lane, event.replace("Succeeded", "Failed"), exc.error, exc.cause)
            raise
        details: dict[str, Any] = {"output": output, "outputDetails": _NOT_TRUNCATED}
        if event == "TaskSucceeded":
            details = {"resourceType": "lambda", "resource": "invoke", **details}
        lane.emit(event, details)

    def _failed(self, lane: Lane, event: str, error: str, cause: str) -> None:
        details: dict[str, Any] = {"error": error, "cause": cause}
        if event.startswith("Task"):
            details = {"resourceType": "lambda", "resource": "invoke", **details}
        lane.emit(event, details)

    def _call(
        self, lane: Lane, prefix: str, function: str, payload: Any, timeout: int | None
    ) -> Steps[tuple[LambdaResponse, str]]:
        """Invoke; the response and its payload as JSON text. Failures become StatesError and
        an event. The call is a step: the lane's trampoline makes it (`steps.py`)."""
        invoke = lane.run.invoke
        try:
            response = unpack((yield lane.call(lambda: invoke(function, payload), timeout)))
            return response, dumps(response.payload)
        except StatesError as exc:
            if exc.error != TIMEOUT:
                raise
            self._failed(lane, f"{prefix}TimedOut", TIMEOUT, exc.cause)
            raise
        except LambdaFunctionError as exc:
            cause = compact_cause(exc.cause)
            self._failed(lane, f"{prefix}Failed", exc.error_type, cause)
            raise StatesError(exc.error_type, cause) from exc
        except Exception as exc:
            if type(exc).__module__.startswith("orchestrator.engine"):
                raise  # our own control flow (aborts, execution timeout)
            error, cause = type(exc).__name__, str(exc)
            self._failed(lane, f"{prefix}Failed", error, cause)
            raise StatesError(error, cause) from exc


def _check_invoke_parameters(parameters: Any, where: str) -> None:
    """The Invoke parameters a lambda:invoke Task names: known ones, each honoured locally."""
    if not isinstance(parameters, dict):
        return  # a Parameters that is not an object fails when the state runs
    for key, value in parameters.items():
        name = key[:-2] if key.endswith(".$") else key
        if name not in _INVOKE_PARAMETERS:
            raise DefinitionError(
                f"{where}: {name!r} is not a parameter of {LAMBDA_INVOKE} "
                f"(it takes {', '.join(sorted(_INVOKE_PARAMETERS))})"
            )
        if name == "InvocationType" and value == "RequestResponse":
            continue
        if name in _NOT_LOCAL_PARAMETERS:
            raise DefinitionError(
                f"{where}: {name} is not supported locally ({_NOT_LOCAL_PARAMETERS[name]})"
            )
        if name == "LogType" and key == name and value not in _LOG_TYPES:
            raise DefinitionError(
                f"{where}: LogType must be one of {', '.join(_LOG_TYPES)}, got {dumps(value)}"
            )


def _request_body(payload: Any) -> Any:
    """What the function receives for the Payload parameter (a private copy). A string holding
    JSON is sent as the raw request body, so the function gets the JSON it holds; any other
    string is sent JSON-encoded (LocalStack's `to_payload_type`, whose lambda:invoke snapshots
    were recorded against AWS: a Payload "null" reaches the function as null)."""
    if payload is None:
        return {}
    if isinstance(payload, str):
        try:
            return json.loads(payload)
        except ValueError:
            return payload
    return payload
