"""A stack deployed into moto, served over HTTP, for code that talks to AWS as users run it.

`serve_stack(stack)` starts moto's `ThreadedMotoServer` on 127.0.0.1 (a free port) in this
process and points `AWS_ENDPOINT_URL` at it: `orchestrator run --aws`, `runs --aws`, `logs`,
`stop` and `StepFunctionsExecutor` then make real HTTP calls through boto3's ordinary client
chain, nothing patched on their side. moto's backends are process-global, so the server serves
the very stack `deploy_template_to_moto` created, and its Lambda invocations reach the
harness's in-process handlers (the real `lambda_entry` handler with each function's
environment).

Where moto departs from AWS on these calls, the server corrects it and says so in
`MotoServer.findings`:

* its CloudFormation drops the outputs whose `Ref` names a resource it skipped — every flow's
  `<Flow>StateMachineAliasArn`: restored from the resources created through the APIs;
* its StartExecution refuses an alias ARN (and fails on a version ARN): an alias ARN starts the
  alias's state machine, after checking that the version the alias routes to holds the same
  definition (the execution then names no alias or version, as AWS's would);
* its Lambda drops `LoggingConfig`: GetFunctionConfiguration reports the template's;
* its FilterLogEvents ignores JSON filter patterns and returns every event: `{ ($.a = "x") &&
  ($.b = "y") }` patterns (`=`, `!=`, `*` wildcards, `&&` or `||`) are evaluated;
* its in-process functions print to the test's stdout: each invocation's output goes to the
  function's log group instead (`orchestrator.testing.lambda_logs`).

Left as moto has them (the client code reads them either way): GetExecutionHistory ignores
`maxResults` and `reverseOrder` (one page, oldest first), ListExecutions cannot list a map
run's child executions.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

from orchestrator.testing.lambda_logs import LogGroupWriter, StdoutCapture, capture_function_logs
from orchestrator.testing.moto import ACCOUNT_ID, REGION, MotoGap
from orchestrator.testing.moto_gaps import MotoDeployError
from orchestrator.testing.stack import MotoStack

__all__ = ["MotoServer", "serve_stack"]


@dataclass
class MotoServer:
    """The HTTP endpoint serving `stack`, and what it corrects of moto."""

    url: str
    stack: MotoStack
    findings: list[str] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        """The environment a boto3 client (or a subprocess) needs to talk to this server."""
        return {
            "AWS_ENDPOINT_URL": self.url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
        }


@contextmanager
def serve_stack(stack: MotoStack) -> Iterator[MotoServer]:
    """Serve `stack`'s moto account over HTTP, with `AWS_ENDPOINT_URL` set, until exit."""
    import boto3
    from moto.server import ThreadedMotoServer

    findings: list[str] = []
    with ExitStack() as exits:
        findings += _restore_outputs(stack)
        findings.append(_start_aliases(exits))
        findings.append(_report_logging_config(exits, stack))
        findings.append(_json_filter_patterns(exits))
        # Made before AWS_ENDPOINT_URL is set: it writes straight into moto's backend.
        logs = boto3.client("logs", region_name=REGION)
        findings.append(_function_logs(exits, stack, logs))
        # Its request log would print a line per call.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        exits.callback(server.stop)
        host, port = server.get_host_and_port()
        served = MotoServer(f"http://{host}:{port}", stack, findings)
        exits.enter_context(mock.patch.dict(os.environ, served.env()))
        yield served


def _restore_outputs(stack: MotoStack) -> list[str]:
    from moto.cloudformation.models import cloudformation_backends
    from moto.cloudformation.parsing import Output

    output_map = cloudformation_backends[ACCOUNT_ID][REGION].stacks[stack.stack_id].output_map
    restored = []
    for key, output in stack.cloudformation.get("Outputs", {}).items():
        parsed = output_map[key]
        if parsed is not None and parsed.value:
            continue
        value = output.get("Value")
        ref = value.get("Ref") if isinstance(value, dict) and len(value) == 1 else None
        if ref not in stack.physical_ids:
            raise MotoDeployError(f"output {key}: moto resolved nothing for {value!r}")
        output_map._parsed_outputs[key] = Output(
            key, stack.physical_ids[ref], output.get("Description")
        )
        restored.append(key)
    if not restored:
        return []
    return [
        "moto's CloudFormation drops the outputs whose Ref names a resource it skipped: "
        f"{', '.join(restored)} restored from the resources created through the APIs"
    ]


def _start_aliases(exits: ExitStack) -> str:
    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    original = StepFunctionsParserBackend.start_execution

    def start_execution(
        backend: Any,
        state_machine_arn: str,
        name: Any = None,
        execution_input: Any = None,
        trace_header: Any = None,
    ) -> Any:
        parts = state_machine_arn.split(":")
        if len(parts) == 8 and parts[5] == "stateMachine" and not parts[7].isdigit():
            alias = backend.describe_state_machine_alias(state_machine_arn)
            routes = alias.routing_configuration
            version_arn = max(routes, key=lambda r: r["weight"])["stateMachineVersionArn"]
            version = backend.describe_state_machine(version_arn)
            machine = backend.describe_state_machine(alias.statemachine_arn)
            if version.definition != machine.definition:
                raise MotoGap(
                    f"alias {state_machine_arn} routes to {version_arn}, whose definition is "
                    "not the state machine's: moto cannot run a version"
                )
            state_machine_arn = alias.statemachine_arn
        return original(backend, state_machine_arn, name, execution_input, trace_header)

    exits.enter_context(
        mock.patch.object(StepFunctionsParserBackend, "start_execution", start_execution)
    )
    return (
        "moto's StartExecution refuses alias ARNs: an alias starts its state machine, checked to "
        "hold the routed version's definition (the execution names no alias or version)"
    )


def _logging_configs(stack: MotoStack) -> dict[str, dict[str, Any]]:
    """Function name → its `LoggingConfig`, `Ref`s resolved, from the translated template."""
    configs = {}
    for function in stack.functions.values():
        props = stack.cloudformation["Resources"][function.logical_id]["Properties"]
        config = props.get("LoggingConfig")
        if config is None:
            continue
        resolved = {}
        for key, value in config.items():
            if isinstance(value, dict):
                if set(value) != {"Ref"}:
                    raise MotoDeployError(f"{function.logical_id}: LoggingConfig {key}={value!r}")
                value = stack.physical_ids[value["Ref"]]
            resolved[key] = value
        configs[function.name] = resolved
    return configs


def _report_logging_config(exits: ExitStack, stack: MotoStack) -> str:
    from moto.awslambda.models import LambdaFunction

    configs = _logging_configs(stack)
    original = LambdaFunction.get_configuration

    def get_configuration(function: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        config = dict(original(function, *args, **kwargs))
        if function.function_name in configs:
            config["LoggingConfig"] = configs[function.function_name]
        return config

    exits.enter_context(mock.patch.object(LambdaFunction, "get_configuration", get_configuration))
    return "moto's Lambda drops LoggingConfig: GetFunctionConfiguration reports the template's"


def _function_logs(exits: ExitStack, stack: MotoStack, logs: Any) -> str:
    capture = StdoutCapture()
    configs = _logging_configs(stack)
    for function in stack.functions.values():
        group = configs.get(function.name, {}).get("LogGroup") or f"/aws/lambda/{function.name}"
        original = stack.sfn.handler(function.name)
        writer = LogGroupWriter(logs, group, function.name)
        stack.sfn.register_handler(function.name, capture_function_logs(original, writer, capture))
        exits.callback(stack.sfn.register_handler, function.name, original)
    return (
        "the harness's in-process functions print to the test's stdout: each invocation's "
        "output goes to its function's log group, framed by START/END/REPORT, as Lambda does"
    )


# -- JSON filter patterns ------------------------------------------------------------------------

_TERM = re.compile(
    r"\(?\s*\$\.(?P<path>[A-Za-z0-9_.]+)\s*(?P<op>!=|=)\s*"
    r"(?P<value>\"(?:[^\"\\]|\\.)*\"|[^\s)]+)\s*\)?\Z"
)


class JsonFilterPattern:
    """A CloudWatch Logs JSON filter pattern of string comparisons joined by `&&` or `||`."""

    def __init__(self, pattern: str) -> None:
        body = pattern.strip()[1:-1].strip()
        self.any = "||" in body
        if self.any and "&&" in body:
            raise MotoGap(f"filter pattern {pattern!r}: the harness evaluates && or ||, not both")
        self.terms = []
        for raw in re.split(r"\|\||&&", body):
            match = _TERM.match(raw.strip())
            if match is None:
                raise MotoGap(f"filter pattern {pattern!r}: cannot evaluate {raw.strip()!r}")
            value = match["value"]
            if value.startswith('"'):
                value = re.sub(r"\\(.)", r"\1", value[1:-1])
            wildcard = re.compile(".*".join(re.escape(part) for part in value.split("*")) + r"\Z")
            self.terms.append((match["path"].split("."), match["op"], wildcard))

    def matches(self, message: str) -> bool:
        try:
            document = json.loads(message)
        except ValueError:
            return False  # a JSON pattern never matches a line that is not JSON
        results = [self._term(document, *term) for term in self.terms]
        return any(results) if self.any else all(results)

    @staticmethod
    def _term(document: Any, path: list[str], op: str, wildcard: re.Pattern[str]) -> bool:
        for key in path:
            if not isinstance(document, dict) or key not in document:
                return False
            document = document[key]
        text = document if isinstance(document, str) else json.dumps(document)
        return bool(wildcard.match(text)) == (op == "=")


def _json_filter_patterns(exits: ExitStack) -> str:
    import moto.logs.models as logs_models

    original = logs_models.EventMessageFilter

    def event_filter(pattern: str) -> Any:
        if pattern and pattern.strip().startswith("{"):
            return JsonFilterPattern(pattern)
        return original(pattern)

    exits.enter_context(mock.patch.object(logs_models, "EventMessageFilter", event_filter))
    return (
        "moto's FilterLogEvents ignores JSON filter patterns (it returns every event): "
        "string comparisons joined by && or || are evaluated"
    )
