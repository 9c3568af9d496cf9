"""Run an ASL document in moto's Step Functions executor, with Python callables as its Lambdas.

moto 5 interprets ASL itself when started with ``execute_state_machine``; its docker-less Lambda
backend only echoes the payload, so the harness patches ``LambdaSimpleBackend.invoke`` to call a
Python handler in-process. A handler that raises produces exactly what Lambda returns for an
unhandled error (header ``x-amz-function-error: Unhandled`` and the error payload as the body), so
the state fails with ``Error`` = the exception's class name, as it would in AWS.

moto really sleeps on ``Retry`` intervals and ``Wait`` states; with ``record_sleeps=True`` those
sleeps are recorded in ``MotoRun.sleeps`` and skipped, so retry tests stay fast. Task
``TimeoutSeconds`` is left alone: it is measured by moto against the handler's real run time.

Per-state attempts are counted at each invocation (see ``MotoRun.attempts_by_state``).

The harness creates an S3 bucket for results (`MotoStepFunctions.results_bucket`): `deploy` puts
its name for ``${ResultsBucketName}``, and the in-process handlers see it as
ORCHESTRATOR_RESULTS_BUCKET. A Distributed Map's ResultWriter writes there what AWS writes
(manifest.json and SUCCEEDED_0.json / FAILED_0.json, WriterConfig honoured), where moto itself
writes an empty manifest; ItemReader reads it back, one object or (s3:listObjectsV2 with
LOAD_AND_FLATTEN, which moto's grammar lacks) every object under a prefix.

moto quirks handled here: DescribeExecution returns a string output unencoded and cannot encode a
datetime taken from the context object, so outputs are read from the history's final event. The
Distributed Map patches (ResultWriter files, WriterConfig and integer ToleratedFailurePercentage
accepted, no recursion limit on a map run's items) say which documented behaviour each restores.
Known departures of moto from the AWS documentation are recorded, case by case, in
``tests/conformance/machines/*.json`` (``moto_differs``).

Usage::

    with MotoStepFunctions(record_sleeps=True) as sfn:
        sm = sfn.deploy(definition, {"CleanFunctionArn": clean})
        run = sfn.execute(sm, {"n": 3})
        assert run.status == "SUCCEEDED"
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import os
import sys
import threading
import time
import uuid
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

from orchestrator.aws.history import history_event
from orchestrator.contract import (
    LOCAL_ACCOUNT,
    LOCAL_REGION,
    PLACEHOLDER,
    RESULTS_BUCKET_ENV,
    RESULTS_BUCKET_SUBSTITUTION,
)
from orchestrator.engine.history import attempts_by_state
from orchestrator.runtime.error_payload import error_payload
from orchestrator.testing.moto_map_results import map_result_patches

__all__ = [
    "MotoGap",
    "MotoRun",
    "MotoStepFunctions",
    "StateMachine",
    "PLACEHOLDER",
    "RESULTS_BUCKET",
    "history_event",
]

# moto's default account and the local engine's: ARNs agree between the two.
REGION = LOCAL_REGION
ACCOUNT_ID = LOCAL_ACCOUNT
ROLE_NAME = "orchestrator-test-role"
#: The results bucket the harness creates: `${ResultsBucketName}` in a deployed ASL, and
#: ORCHESTRATOR_RESULTS_BUCKET for the in-process task handlers.
RESULTS_BUCKET = "orchestrator-moto-results"

#: A SAM ``DefinitionSubstitutions`` placeholder, e.g. ``${CleanFunctionArn}``.

Handler = Callable[[Any], Any]

# Modules of moto's ASL interpreter whose waits we replace. Imported lazily: importing them pulls
# in the ANTLR parser, which is slow and not needed by users of `PLACEHOLDER` alone.
_RETRIER_MODULE = "moto.stepfunctions.parser.asl.component.common.retry.retrier_decl"
_WAIT_FUNCTION = (
    "moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function.WaitFunction"
)
_LAMBDA_INVOKE = "moto.awslambda_simple.models.LambdaSimpleBackend.invoke"
#: moto's Task states build a new boto3 client for every Lambda invocation (~20 ms each, most of
#: a Distributed Map child's cost here); the harness shares one per region, as boto3 allows
#: (clients are thread-safe). Nothing the state machine sees changes.
_LAMBDA_CLIENT_FOR = (
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.lambda_eval_utils"
    ".boto_client_for"
)

_TERMINAL = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}
_TERMINAL_EVENTS = {
    "ExecutionSucceeded": "SUCCEEDED",
    "ExecutionFailed": "FAILED",
    "ExecutionTimedOut": "TIMED_OUT",
    "ExecutionAborted": "ABORTED",
}


@dataclass(frozen=True)
class StateMachine:
    """A deployed state machine: its ARN, name and the substituted definition."""

    arn: str
    name: str
    definition: dict[str, Any]
    functions: dict[str, str]  # placeholder / function key -> Lambda ARN


@dataclass
class MotoRun:
    """The outcome of one execution in moto."""

    status: str
    output: Any
    error: str | None
    cause: str | None
    events: list[dict[str, Any]]
    invocations: list[tuple[str, Any]] = field(default_factory=list)
    sleeps: list[float] = field(default_factory=list)
    #: The Task state that made each invocation, parallel to ``invocations``.
    invocation_states: list[str | None] = field(default_factory=list)
    #: For a run of a flow (`orchestrator.testing.flows.run_flow_in_moto`), what `flow.run()`
    #: reports too: the flow's name, its result and one TaskRun per task.
    flow: str | None = None
    result: Any = None
    task_runs: dict[str, Any] = field(default_factory=dict)

    @property
    def state(self) -> str:
        """The execution's status, by `FlowRun`'s name for it."""
        return self.status

    @property
    def succeeded(self) -> bool:
        return self.status == "SUCCEEDED"

    def attempts_by_state(self) -> dict[str, int]:
        """Lambda invocations per Task state name, summed over retries and Map iterations.

        Counted where the invocation happens: the patched Lambda backend runs on the thread of
        the Task state that called it, and finds that state on the call stack. Neither the
        history nor the payload would do for every case: a Distributed Map's iterations run as
        child executions whose events are not in the parent's history (as in AWS), and payloads
        need not name their state.
        """
        return dict(Counter(s for s in self.invocation_states if s is not None))

    def attempts_from_history(self) -> dict[str, int]:
        """Like `attempts_by_state`, read from this execution's own history events, by the rule
        the local engine's runs are read by (`orchestrator.engine.history.StateAttribution`).
        Distributed Map iterations are child executions: their attempts are not in this history.
        """
        return attempts_by_state([history_event(e) for e in self.events])

    def invocations_by_function(self) -> dict[str, int]:
        """Number of invocations per function key."""
        return dict(Counter(name for name, _ in self.invocations))


def _calling_state() -> str | None:
    """The name of the moto Task state whose evaluation is calling Lambda right now.

    moto invokes Lambda synchronously (through boto3 and its own request handler) on the thread
    that evaluates the Task state, including the helper thread it starts for TimeoutSeconds, so
    the state object is a `self` further up this thread's stack.
    """
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task import StateTask

    frame = sys._getframe(1)
    while frame is not None:
        candidate = frame.f_locals.get("self")
        if isinstance(candidate, StateTask):
            return str(candidate.name)
        frame = frame.f_back  # type: ignore[assignment]
    return None


_BUCKET_PERMISSION = "moto.s3.models.FakeBucket.get_permission"


def _bucket_permission(bucket: Any, action: str, resource: str) -> Any:
    """A bucket policy's verdict as S3 gives it to a TLS request (as boto3 makes them).

    moto passes no `aws:SecureTransport` and ignores a `Bool` condition (its evaluator knows only
    `StringEquals`), so the results bucket's "deny insecure transport" statement denied every
    request. Here a statement whose `Bool`/`StringEquals` condition does not hold does not apply.
    """
    from moto.iam.access_control import IAMPolicyStatement, PermissionResult

    if bucket.policy is None:
        return PermissionResult.NEUTRAL
    context = {"aws:SecureTransport": "true"}
    document = json.loads(bucket.policy.decode())
    statements = document["Statement"]
    verdict = PermissionResult.NEUTRAL
    for raw in statements if isinstance(statements, list) else [statements]:
        if not _condition_holds(raw.get("Condition", {}), context):
            continue
        unconditional = {k: v for k, v in raw.items() if k != "Condition"}
        result = IAMPolicyStatement(unconditional).is_action_permitted(action, resource)
        if result == PermissionResult.DENIED:
            return result
        if result == PermissionResult.PERMITTED:
            verdict = result
    return verdict


def _condition_holds(condition: dict[str, Any], context: dict[str, str]) -> bool:
    """IAM's `Bool` and `StringEquals` operators (a key the request lacks does not match)."""
    for operator, pairs in condition.items():
        for key, expected in pairs.items():
            wanted = [str(v) for v in (expected if isinstance(expected, list) else [expected])]
            actual = context.get(key)
            if operator == "Bool":
                if actual is None or actual.lower() not in [w.lower() for w in wanted]:
                    return False
            elif operator == "StringEquals" and actual not in wanted:
                return False
    return True


class MotoGap(NotImplementedError):
    """A documented Step Functions feature moto cannot run: the flow cannot be compared there."""


def _shared_client_for() -> Callable[..., Any]:
    from moto.stepfunctions.parser.asl.utils.boto_client import boto_client_for

    clients: dict[tuple[str, str], Any] = {}
    lock = threading.Lock()

    def client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        key = (region, service)
        with lock:
            if key not in clients:
                clients[key] = boto_client_for(region, service, state_credentials)
            return clients[key]

    return client_for


def _zip_stub() -> bytes:
    # Lambda wants a deployment package; the code never runs because `invoke` is patched.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("handler.py", "def handler(event, context):\n    return event\n")
    return buf.getvalue()


class MotoStepFunctions:
    """A moto account with Step Functions executing ASL and Lambdas backed by Python callables.

    One instance can deploy and execute many state machines; sharing it across a test module
    avoids paying moto's start-up for every case.
    """

    def __init__(self, record_sleeps: bool = True, poll_interval: float = 0.01) -> None:
        self.record_sleeps = record_sleeps
        self.poll_interval = poll_interval
        self._handlers: dict[str, Handler] = {}  # Lambda function name -> handler
        self._lock = threading.Lock()
        # In-process invocations running now, and the results-bucket variable they replaced
        # (see `_handler_environment`).
        self._env_lock = threading.Lock()
        self._in_flight = 0
        self._replaced_bucket_env: str | None = None
        # Invocations and sleeps since the current `execute` started (moto runs one execution
        # at a time per harness here, so a single buffer is enough).
        self._invocations: list[tuple[str, Any]] = []
        self._invocation_states: list[str | None] = []
        self._sleeps: list[float] = []
        self._names: set[str] = set()
        self._counter = itertools.count(1)
        self._stack: list[Any] = []
        self._role_arn = ""
        self._zip = _zip_stub()
        self.sfn: Any = None
        self.lambda_: Any = None

    # -- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> MotoStepFunctions:
        import boto3
        from moto import mock_aws

        env = mock.patch.dict(
            os.environ,
            {
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_SECURITY_TOKEN": "testing",
                "AWS_SESSION_TOKEN": "testing",
                "AWS_DEFAULT_REGION": REGION,
            },
        )
        patches: list[Any] = [
            env,
            mock_aws(
                config={
                    "stepfunctions": {"execute_state_machine": True},
                    "lambda": {"use_docker": False},
                }
            ),
            mock.patch(_LAMBDA_INVOKE, self._make_invoke()),
            mock.patch(_LAMBDA_CLIENT_FOR, _shared_client_for()),
            mock.patch(_BUCKET_PERMISSION, _bucket_permission),
            *map_result_patches(),
        ]
        if self.record_sleeps:
            import importlib

            retrier = importlib.import_module(_RETRIER_MODULE)
            # The retrier calls `time.sleep` through its module's `time` name; replacing only
            # that name keeps every other sleep (moto's pollers, handlers) real.
            fake_time = mock.Mock(wraps=time)
            fake_time.sleep = self._record_sleep
            patches.append(mock.patch.object(retrier, "time", fake_time))
            patches.append(mock.patch(f"{_WAIT_FUNCTION}._wait_interval", self._make_wait()))
        try:
            for p in patches:
                p.start()
                self._stack.append(p)
        except BaseException:
            self._stop()
            raise
        self.sfn = boto3.client("stepfunctions", region_name=REGION)
        self.lambda_ = boto3.client("lambda", region_name=REGION)
        boto3.client("s3", region_name=REGION).create_bucket(Bucket=RESULTS_BUCKET)
        iam = boto3.client("iam", region_name=REGION)
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": ["lambda.amazonaws.com", "states.amazonaws.com"]},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
        role = iam.create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument=json.dumps(trust))
        self._role_arn = role["Role"]["Arn"]
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop()

    def _stop(self) -> None:
        while self._stack:
            self._stack.pop().stop()

    # -- patches ---------------------------------------------------------------------------

    def _record_sleep(self, seconds: float) -> None:
        with self._lock:
            self._sleeps.append(float(seconds))

    def _make_wait(self) -> Callable[..., None]:
        harness = self

        def _wait_interval(_self: Any, env: Any, wait_seconds: int) -> None:
            # A Wait state: record how long AWS would wait instead of blocking.
            if wait_seconds > 0:
                harness._record_sleep(wait_seconds)

        return _wait_interval

    @contextlib.contextmanager
    def _handler_environment(self) -> Iterator[None]:
        """ORCHESTRATOR_RESULTS_BUCKET = `results_bucket` while any in-process handler runs.

        The handlers offload large results to the moto bucket and read them from it, as deployed
        functions do with the results bucket. The variable is set around invocations only, not
        for the whole harness: a local run in the same process (tests compare `flow.run()` with
        a moto run) must keep its local result store, which an ORCHESTRATOR_RESULTS_BUCKET in
        the environment would replace. moto runs invocations on several threads at once, so the
        first one in sets it and the last one out restores it.
        """
        with self._env_lock:
            if self._in_flight == 0:
                self._replaced_bucket_env = os.environ.get(RESULTS_BUCKET_ENV)
                os.environ[RESULTS_BUCKET_ENV] = RESULTS_BUCKET
            self._in_flight += 1
        try:
            yield
        finally:
            with self._env_lock:
                self._in_flight -= 1
                if self._in_flight == 0:
                    if self._replaced_bucket_env is None:
                        os.environ.pop(RESULTS_BUCKET_ENV, None)
                    else:
                        os.environ[RESULTS_BUCKET_ENV] = self._replaced_bucket_env

    def _make_invoke(self) -> Callable[..., bytes | None]:
        harness = self

        def invoke(
            _backend: Any,
            function_name: str,
            qualifier: str | None,
            body: Any,
            headers: Any,
            response_headers: dict[str, str],
        ) -> bytes | None:
            # moto passes the name as the caller gave it: a plain name or a full ARN.
            name = function_name.split(":function:", 1)[-1].split(":", 1)[0]
            handler = harness._handlers.get(name)
            if handler is None:
                return None  # moto's responses turn this into a 404
            raw = body.decode("utf-8") if isinstance(body, bytes) else body
            event = json.loads(raw) if raw else None
            state = _calling_state()
            with harness._lock:
                harness._invocations.append((name, event))
                harness._invocation_states.append(state)
            try:
                with harness._handler_environment():
                    result = handler(event)
            except Exception as exc:  # every handler failure is Lambda's "Unhandled"
                response_headers["x-amz-function-error"] = "Unhandled"
                # Lambda's Python runtime names the invocation's request id in the payload.
                payload = error_payload(exc, str(uuid.uuid4()))
                return json.dumps(payload).encode("utf-8")
            return json.dumps(result).encode("utf-8")

        return invoke

    # -- API -------------------------------------------------------------------------------

    @property
    def results_bucket(self) -> str:
        """The S3 bucket this harness creates for results: what `deploy` puts for
        ``${ResultsBucketName}`` (a Distributed Map's ResultWriter and ItemReader) and what the
        in-process handlers see as ORCHESTRATOR_RESULTS_BUCKET."""
        return RESULTS_BUCKET

    @property
    def role_arn(self) -> str:
        """The IAM role this harness creates and gives its own functions and state machines."""
        return self._role_arn

    def register_handler(self, function_name: str, handler: Handler) -> None:
        """Run `handler` whenever the Lambda function `function_name` is invoked.

        For functions this harness did not create itself, e.g. those a CloudFormation stack in
        the same moto account created (`orchestrator.testing.stack`). The handler gets the
        decoded payload; what it returns or raises becomes the invocation's response, as for
        `deploy`'s functions.
        """
        self._handlers[function_name] = handler

    def handler(self, function_name: str) -> Handler:
        """The handler that runs when `function_name` is invoked (to wrap it, then put back)."""
        return self._handlers[function_name]

    def deploy(
        self,
        definition: dict[str, Any],
        functions: dict[str, Handler],
        name: str = "test",
        type: str = "STANDARD",
    ) -> StateMachine:
        """Create one Lambda per ``functions`` key and a state machine running ``definition``.

        A key is either a placeholder name (``CleanFunctionArn`` for ``${CleanFunctionArn}``) or a
        plain function name used verbatim in the ASL; every ``${Key}`` is replaced by the ARN of
        that key's Lambda, except ``${ResultsBucketName}``, which is `results_bucket`. A
        placeholder with no function raises ``ValueError``. A name already used in this harness
        gets a numeric suffix, so cases can share one moto account. `type`: STANDARD or EXPRESS.
        """
        text = json.dumps(definition)
        if '"ItemBatcher"' in text:
            # moto 5.2.5's ASL grammar has no ItemBatcher (a documented Distributed Map field,
            # "ItemBatcher (Map)"): CreateStateMachine would fail with a parser dump.
            raise MotoGap(
                "moto 5.2.5 cannot run a Map with an ItemBatcher (batch_size=): its ASL parser "
                "does not know the field; run this flow locally (flow.run) instead"
            )
        missing = sorted(
            set(PLACEHOLDER.findall(text)) - set(functions) - {RESULTS_BUCKET_SUBSTITUTION}
        )
        if missing:
            raise ValueError(f"no function for placeholder(s): {', '.join(missing)}")
        arns: dict[str, str] = {}
        for key, handler in functions.items():
            self._handlers[key] = handler
            arns[key] = self._ensure_function(key)
        substitutions = {**arns, RESULTS_BUCKET_SUBSTITUTION: self.results_bucket}
        text = PLACEHOLDER.sub(lambda m: substitutions[m.group(1)], text)
        sm_name = name
        while sm_name in self._names:
            sm_name = f"{name}-{next(self._counter)}"
        self._names.add(sm_name)
        resp = self.sfn.create_state_machine(
            name=sm_name, definition=text, roleArn=self._role_arn, type=type
        )
        return StateMachine(resp["stateMachineArn"], sm_name, json.loads(text), arns)

    def _ensure_function(self, name: str) -> str:
        try:
            return str(self.lambda_.get_function(FunctionName=name)["Configuration"]["FunctionArn"])
        except self.lambda_.exceptions.ResourceNotFoundException:
            pass
        resp = self.lambda_.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=self._role_arn,
            Handler="handler.handler",
            Code={"ZipFile": self._zip},
            Timeout=900,
        )
        return str(resp["FunctionArn"])

    def _history(self, exec_arn: str) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"executionArn": exec_arn, "maxResults": 1000}
        while True:
            page = self.sfn.get_execution_history(**kwargs)
            events.extend(page["events"])
            if not page.get("nextToken"):
                return events
            kwargs["nextToken"] = page["nextToken"]

    def _status(self, exec_arn: str) -> str:
        try:
            return str(self.sfn.describe_execution(executionArn=exec_arn)["status"])
        except TypeError:
            # moto's DescribeExecution cannot serialise an output holding a datetime (from
            # $$.Execution.StartTime or $$.State.EnteredTime); the history can, so read the
            # terminal event there.
            last = self._history(exec_arn)[-1]["type"]
            return _TERMINAL_EVENTS.get(last, "RUNNING")

    def _describe(self, exec_arn: str, events: list[dict[str, Any]]) -> dict[str, Any]:
        try:
            return dict(self.sfn.describe_execution(executionArn=exec_arn))
        except TypeError:  # see `_status`
            details = events[-1].get("executionFailedEventDetails", {})
            return {"error": details.get("error"), "cause": details.get("cause")}

    @staticmethod
    def _output(desc: dict[str, Any], events: list[dict[str, Any]]) -> Any:
        # moto's DescribeExecution returns a string output unencoded (`Y` for the JSON string
        # "Y"), so a string result is indistinguishable from a document. The history's
        # ExecutionSucceeded event carries the output JSON-encoded, as AWS does; prefer it.
        for event in reversed(events):
            details = event.get("executionSucceededEventDetails")
            if details is not None and "output" in details:
                return json.loads(details["output"])
        raw = desc.get("output")
        if raw is None:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            return raw

    def execute(self, sm: StateMachine | str, input: Any = None, timeout: float = 60) -> MotoRun:
        """Start an execution, wait for it to end, and return its outcome and history."""
        arn = sm.arn if isinstance(sm, StateMachine) else sm
        with self._lock:
            self._invocations = []
            self._invocation_states = []
            self._sleeps = []
        start = self.sfn.start_execution(
            stateMachineArn=arn,
            name=f"run-{next(self._counter)}",
            input=json.dumps({} if input is None else input),
        )
        exec_arn = start["executionArn"]
        deadline = time.monotonic() + timeout
        while True:
            status = self._status(exec_arn)
            if status in _TERMINAL:
                break
            if time.monotonic() > deadline:
                self.sfn.stop_execution(executionArn=exec_arn)
                raise TimeoutError(f"execution {exec_arn} still {status} after {timeout}s")
            time.sleep(self.poll_interval)
        events = self._history(exec_arn)
        desc = self._describe(exec_arn, events)
        output = self._output(desc, events)
        with self._lock:
            invocations, sleeps = list(self._invocations), list(self._sleeps)
            states = list(self._invocation_states)
        return MotoRun(
            status=status,
            output=output,
            error=desc.get("error"),
            cause=desc.get("cause"),
            events=events,
            invocations=invocations,
            sleeps=sleeps,
            invocation_states=states,
        )
