"""Task states that invoke Lambda functions through the caller's `LambdaInvoker`.

Two resource shapes are supported, as Step Functions runs them:

* `arn:aws:states:::lambda:invoke`: calls `invoke(Parameters.FunctionName, Parameters.Payload)`;
  the raw result is Lambda's Invoke response `{"StatusCode": 200, "Payload": <result>}`, the keys
  moto 5's executor returns. AWS adds `ExecutedVersion`, `SdkHttpMetadata` and
  `SdkResponseMetadata`; we follow moto so conformance runs compare equal, and flows (per the
  data contract) read only `$.Payload`. Events: TaskScheduled/Started/...
* a bare function ARN (or an unresolved `${...}` placeholder): calls `invoke(resource, input)`
  and the result is the payload itself. Events: LambdaFunctionScheduled/Started/...

An invoker raising `LambdaFunctionError` fails the state with its `error_type` and `cause`. Any
other exception fails it with the exception's class name and `str(exc)`, so a crashing local
invoker still surfaces through Retry/Catch like a failing function would. `HeartbeatSeconds` is
accepted and reported, but a `lambda:invoke` task never sends heartbeats, so it cannot trip.
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
from .lane import Lane
from .retry import RecoverableState
from .spec import LAMBDA_INVOKE, TASK_MAX_TIMEOUT_SECONDS
from .state import (
    check_size,
    invalid_path_cause,
    template_field,
)

_NOT_TRUNCATED = {"truncated": False}


class TaskState(RecoverableState):
    kind = "Task"
    retry_count_at_entry = 0
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
        if resource.startswith(LAMBDA_INVOKE):
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

    def attempt(self, lane: Lane, value: Any, entered: int, retry_count: int) -> Any:
        context = self.context_fn(lane, entered, retry_count)
        effective = self.apply_input_path(value)
        if self.parameters is not None:
            effective = self.parameters.evaluate(effective, context)
        timeout = self._timeout(value)
        if self.integration:
            raw = self._invoke_api(lane, effective, timeout)
        else:
            raw = self._invoke_function(lane, effective, timeout)
        if self.result_selector is not None:
            return self.result_selector.evaluate(raw, context)
        return raw

    def _invoke_api(self, lane: Lane, parameters: Any, timeout: int | None) -> Any:
        if not isinstance(parameters, dict) or "FunctionName" not in parameters:
            raise StatesError(
                RUNTIME,
                f"The Parameters of {LAMBDA_INVOKE} must be an object with a FunctionName: "
                f"{dumps(parameters)}",
            )
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
        payload = json.loads(text).get("Payload")
        function = parameters["FunctionName"]
        payload_text = self._call(
            lane, "Task", function, {} if payload is None else payload, timeout
        )
        output = f'{{"StatusCode":200,"Payload":{payload_text}}}'
        self._succeeded(lane, "TaskSucceeded", output)
        return {"StatusCode": 200, "Payload": json.loads(payload_text)}

    def _invoke_function(self, lane: Lane, effective: Any, timeout: int | None) -> Any:
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
        payload_text = self._call(lane, "LambdaFunction", self.resource, json.loads(text), timeout)
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
    ) -> str:
        """Invoke and return the result as JSON text; failures become StatesError + event."""
        invoke = lane.run.invoke
        try:
            result = lane.call(lambda: invoke(function, payload), timeout)
            return dumps(result)
        except StatesError as exc:
            if exc.error != TIMEOUT:
                raise
            self._failed(lane, f"{prefix}TimedOut", TIMEOUT, exc.cause)
            raise
        except LambdaFunctionError as exc:
            self._failed(lane, f"{prefix}Failed", exc.error_type, exc.cause)
            raise StatesError(exc.error_type, exc.cause) from exc
        except Exception as exc:
            if type(exc).__module__.startswith("orchestrator.engine"):
                raise  # our own control flow (aborts, execution timeout)
            error, cause = type(exc).__name__, str(exc)
            self._failed(lane, f"{prefix}Failed", error, cause)
            raise StatesError(error, cause) from exc
