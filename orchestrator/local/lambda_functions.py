"""Running a hand-written state machine locally: its Lambda functions as Python handlers.

`orchestrator run` executes a flow whose Task states the planner wired to the flow's own tasks.
A state machine a user wrote by hand (or got from elsewhere) names its functions as Lambda does —
a name, a full or partial ARN, an ARN with a version or alias, or an unresolved
`${Placeholder}` of a SAM template — and `LambdaFunctions` maps each to a Python handler called
as the Lambda runtime calls it: `handler(event, context)`.

An unhandled exception in a handler fails the Task state as Lambda's does through Step Functions:
`Error` is the exception's class name, `Cause` Lambda's error payload as JSON
(`runtime/error_payload.py`). A Task naming a function nobody mapped fails its state the way AWS
fails an invocation of a function that does not exist (`Lambda.ResourceNotFoundException`), with
the fix in the cause.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from orchestrator.engine.errors import LambdaFunctionError
from orchestrator.engine.spec import LAMBDA_INVOKE, LOCAL_ACCOUNT, LOCAL_REGION
from orchestrator.runtime.error_payload import error_cause, error_payload
from orchestrator.runtime.results import keys_under

LambdaHandler = Callable[[Any, Any], Any]

# A function ARN, with an optional version or alias: what Lambda accepts as FunctionName
# (`arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]`); a partial ARN is
# `<account>:function:<name>[:<qualifier>]`.
_FUNCTION_ARN = re.compile(
    r"^(?:arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:)?(?:\d{12}:)?function:(?P<name>[A-Za-z0-9_-]+)"
    r"(?::(?P<qualifier>[A-Za-z0-9$_-]+))?$"
)
# `name:qualifier` is also a FunctionName Lambda accepts.
_QUALIFIED_NAME = re.compile(r"^(?P<name>[A-Za-z0-9_-]+)(?::(?P<qualifier>[A-Za-z0-9$_-]+))?$")
_PLACEHOLDER = re.compile(r"^\$\{(?P<name>[^}]+)\}$")

# What Lambda calls a function that does not exist; Step Functions prefixes the service.
FUNCTION_NOT_FOUND = "Lambda.ResourceNotFoundException"


def substitute(text: str, substitutions: Mapping[str, str]) -> str:
    """`${Key}` replaced by its value in a definition's text, as SAM's DefinitionSubstitutions
    do; placeholders without a value stay as they are."""
    return re.sub(r"\$\{([^}]+)\}", lambda m: substitutions.get(m[1], m[0]), text)


def static_function_names(definition: Any) -> list[str]:
    """The Lambda functions a definition's Task states name literally, at any depth: a bare
    function Resource, or `lambda:invoke`'s FunctionName (JSONPath `Parameters` or JSONata
    `Arguments`). Names computed at run time (`FunctionName.$`, `{% ... %}`) are not included."""
    names: list[str] = []
    if isinstance(definition, list):
        for item in definition:
            names += static_function_names(item)
        return names
    if not isinstance(definition, dict):
        return names
    if definition.get("Type") == "Task" and isinstance(definition.get("Resource"), str):
        resource = definition["Resource"]
        if resource.startswith(LAMBDA_INVOKE):
            for field_name in ("Parameters", "Arguments"):
                block = definition.get(field_name)
                function = block.get("FunctionName") if isinstance(block, dict) else None
                if isinstance(function, str) and not function.startswith("{%"):
                    names.append(function)
        elif not resource.startswith("arn:aws:states:"):
            names.append(resource)
    for value in definition.values():
        if isinstance(value, dict | list):
            names += static_function_names(value)
    return names


def function_key(function_name: str) -> str:
    """The name a Task's FunctionName (or Resource) refers to: `f` for `f`, `f:live`,
    `arn:aws:lambda:us-east-1:123456789012:function:f[:2]`, or `${f}`."""
    for pattern in (_PLACEHOLDER, _FUNCTION_ARN, _QUALIFIED_NAME):
        match = pattern.match(function_name)
        if match:
            return match["name"]
    return function_name


@dataclass
class LambdaContext:
    """The parts of the Lambda runtime's context object a handler commonly reads."""

    function_name: str
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 128
    log_group_name: str = ""
    log_stream_name: str = ""

    def __post_init__(self) -> None:
        self.invoked_function_arn = (
            f"arn:aws:lambda:{LOCAL_REGION}:{LOCAL_ACCOUNT}:function:{self.function_name}"
        )
        self.log_group_name = self.log_group_name or f"/aws/lambda/{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        # No deadline is enforced on the handler itself: the Task's TimeoutSeconds is.
        return 900_000


class LambdaFunctions:
    """An engine `LambdaInvoker` over Python handlers keyed by function name."""

    def __init__(self, handlers: Mapping[str, LambdaHandler]) -> None:
        self.handlers = {function_key(name): handler for name, handler in handlers.items()}

    def __call__(self, function_name: str, payload: Any) -> Any:
        key = function_key(function_name)
        handler = self.handlers.get(key)
        if handler is None:
            known = ", ".join(sorted(self.handlers)) or "none"
            raise LambdaFunctionError(
                FUNCTION_NOT_FOUND,
                f"Function not found: {function_name} (no handler is mapped to {key!r}; "
                f"mapped: {known}; map it with --function {key}=module:handler)",
            )
        try:
            return handler(payload, LambdaContext(key))
        except Exception as exc:
            raise LambdaFunctionError(type(exc).__name__, error_cause(error_payload(exc))) from exc

    def unmapped(self, function_names: list[str]) -> list[str]:
        """The names among `function_names` no handler is mapped to."""
        return [name for name in function_names if function_key(name) not in self.handlers]


class FolderObjects:
    """An engine `ObjectStore` over a folder: `s3://bucket/key` is `<root>/bucket/key`."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def _path(self, bucket: str, key: str) -> Path:
        path = (self.root / bucket / key).resolve()
        if not path.is_relative_to(self.root / bucket):
            raise FileNotFoundError(f"key {key!r} leaves the bucket's folder {self.root / bucket}")
        return path

    def get_object(self, bucket: str, key: str) -> str:
        path = self._path(bucket, key)
        if not path.is_file():
            raise FileNotFoundError(f"no object s3://{bucket}/{key} (looked for {path})")
        return path.read_text(encoding="utf-8")

    def list_keys(self, bucket: str, prefix: str) -> list[str]:
        return keys_under(self.root / bucket, prefix)

    def put_object(self, bucket: str, key: str, body: str) -> None:
        path = self._path(bucket, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(body, encoding="utf-8")
