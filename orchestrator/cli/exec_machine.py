"""`orchestrator exec MACHINE.asl.json`: run any state machine locally in the embedded engine.

For machines written by hand (or taken from another project): the definition runs as Step
Functions would run it (`orchestrator.engine.execute`), each Lambda function it names is a Python
handler given with `--function NAME=path/to/file.py:handler` (or `package.module:handler`),
called as the Lambda runtime calls it, `handler(event, context)`. `--sub Key=Value` resolves a
`${Key}` placeholder as SAM's DefinitionSubstitutions do.

stdout gets the execution's output (JSON); stderr one status line, or with `--events` the
history. Exit codes: 0 SUCCEEDED; 1 FAILED, TIMED_OUT or ABORTED, with one `error:` line giving
the state machine's Error and Cause; 2 for a user error — a definition the engine (or AWS) would
refuse, input that is not JSON, a function no handler is mapped to.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from orchestrator.cli.app import is_debug
from orchestrator.cli.causes import read_cause
from orchestrator.cli.report import FAILED_EXIT, report_error
from orchestrator.engine.errors import DefinitionError
from orchestrator.engine.execution import Execution
from orchestrator.engine.history import StateAttribution
from orchestrator.errors import FlowDefinitionError, ParameterError
from orchestrator.loader import load_callable
from orchestrator.local.lambda_functions import (
    FolderObjects,
    LambdaFunctions,
    static_function_names,
    substitute,
)

MachineArgument = Annotated[
    Path,
    typer.Argument(
        help="The state machine definition (Amazon States Language, JSON).",
        exists=True,
        dir_okay=False,
        readable=True,
    ),
]


def exec_machine(
    ctx: typer.Context,
    machine: MachineArgument,
    input: Annotated[
        str,
        typer.Option("--input", "-i", help="The execution input: JSON text, or @file.json."),
    ] = "{}",
    function: Annotated[
        list[str] | None,
        typer.Option(
            "--function",
            "-f",
            help="NAME=path/to/file.py:handler — the handler of Lambda function NAME "
            "(a name, ARN or ${Placeholder} in the machine). Repeatable.",
        ),
    ] = None,
    sub: Annotated[
        list[str] | None,
        typer.Option(
            "--sub", help="Key=Value: replace ${Key} in the definition, as SAM does. Repeatable."
        ),
    ] = None,
    machine_type: Annotated[
        str, typer.Option("--type", help="STANDARD or EXPRESS (the execution ARN's form).")
    ] = "STANDARD",
    name: Annotated[
        str | None, typer.Option(help="The execution's name (default: a UUID).")
    ] = None,
    objects: Annotated[
        Path | None,
        typer.Option(
            "--objects",
            help="A folder standing in for S3 (s3://bucket/key is FOLDER/bucket/key): what a "
            "Distributed Map's ItemReader reads and ResultWriter writes.",
            file_okay=False,
        ),
    ] = None,
    instant: Annotated[
        bool,
        typer.Option(
            "--instant", help="Take Wait states and retry backoffs in virtual time (no sleeping)."
        ),
    ] = False,
    events: Annotated[
        bool, typer.Option("--events", help="Print the execution history on stderr.")
    ] = False,
) -> None:
    """Run a state machine definition (ASL) locally, its Lambda functions as Python handlers."""
    from orchestrator import engine
    from orchestrator.engine.compiler import compile_definition

    try:
        definition = _definition(machine, sub or [])
        value = _input(input)
        functions = LambdaFunctions(_handlers(function or []))
        missing = functions.unmapped(static_function_names(definition))
        compile_definition(definition)  # a refused definition fails before anything runs
        if missing:
            raise ParameterError(
                f"{machine}: no handler for Lambda function {', '.join(sorted(set(missing)))}; "
                f"map each with --function NAME=path/to/file.py:handler"
            )
        if machine_type not in ("STANDARD", "EXPRESS"):
            raise ParameterError(f"--type {machine_type!r}: use STANDARD or EXPRESS")
        execution = engine.execute(
            definition,
            value,
            invoke=functions,
            clock=engine.VirtualClock(seed=None) if instant else None,
            name=name,
            state_machine_name=_machine_name(machine),
            state_machine_type=machine_type,
            objects=FolderObjects(objects) if objects is not None else None,
        )
    except DefinitionError as err:
        report_error(f"{machine}: {err}", debug=is_debug(ctx))
        raise typer.Exit(2) from None
    except (FlowDefinitionError, ParameterError) as err:
        report_error(err, debug=is_debug(ctx))
        raise typer.Exit(2) from None
    if events:
        for event in execution.events:
            detail = event.details.get("name", "")
            typer.echo(
                f"{event.id:>5} {event.timestamp:%H:%M:%S.%f} {event.type} {detail}", err=True
            )
    seconds = (execution.stop_date - execution.start_date).total_seconds()
    typer.echo(f"{execution.status} in {seconds:.3f} s ({execution.execution_arn})", err=True)
    if execution.status == "SUCCEEDED":
        typer.echo(json.dumps(execution.output, indent=2, ensure_ascii=False))
        return
    report_error(_failure_line(machine, execution), debug=False)
    raise typer.Exit(FAILED_EXIT)


def _failure_line(machine: Path, execution: Execution) -> str:
    """`<machine> FAILED in state 'X': ErrorType: message (file.py:line)`."""
    state_of = StateAttribution()
    failed_state = None
    for event in execution.events:
        state = state_of(event)
        if "error" in event.details and state is not None:
            failed_state = state
    where = f" in state {failed_state!r}" if failed_state else ""
    if execution.error is None:
        return f"{machine} {execution.status}{where}"
    cause = read_cause(execution.error, execution.cause)
    at = f" ({cause.where})" if cause.where else ""
    return f"{machine} {execution.status}{where}: {cause.headline}{at}"


def _definition(machine: Path, subs: list[str]) -> dict[str, Any]:
    text = machine.read_text(encoding="utf-8")
    try:
        document = json.loads(substitute(text, _pairs(subs, "--sub")))
    except json.JSONDecodeError as err:
        raise ParameterError(f"{machine} is not JSON: {err}") from None
    if not isinstance(document, dict):
        raise ParameterError(f"{machine}: a state machine definition is a JSON object")
    return document


def _input(text: str) -> Any:
    source = "--input"
    if text.startswith("@"):
        path = Path(text[1:])
        if not path.is_file():
            raise ParameterError(f"--input {text}: no such file {path}")
        source, text = str(path), path.read_text(encoding="utf-8")
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise ParameterError(
            f"{source} is not JSON ({err}); quote it for the shell, e.g. --input '{{\"n\": 1}}'"
        ) from None


def _pairs(items: list[str], option: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ParameterError(f"{option} {item!r}: expected KEY=VALUE")
        pairs[key.strip()] = value.strip()
    return pairs


def _handlers(items: list[str]) -> dict[str, Any]:
    return {name: load_callable(spec) for name, spec in _pairs(items, "--function").items()}


def _machine_name(machine: Path) -> str:
    name = machine.name
    for suffix in (".asl.json", ".json"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def register(app: typer.Typer) -> None:
    app.command("exec")(exec_machine)
