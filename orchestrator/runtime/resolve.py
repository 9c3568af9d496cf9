"""Find the task a Lambda runs from its `ORCHESTRATOR_TASK` spec, `package.module:qualname`.

A wrong spec is a deploy mistake, found on the first invocation in AWS, far from the code that
caused it; so each way of getting it wrong gets an error that says what was looked for, where,
and what was there instead.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

# Free at run time: `orchestrator/__init__` has imported the SDK before this package loads.
from orchestrator.sdk.task import Task, TaskOptions

TASK_ENV = "ORCHESTRATOR_TASK"


class TaskSpecError(ValueError):
    """`ORCHESTRATOR_TASK` is not of the form `package.module:task_name`."""


class TaskNotFoundError(ImportError):
    """The spec is well formed but names a module or attribute that does not exist."""


def resolve_task_object(spec: str) -> Any:
    """Import `package.module:qualname` and return what it names: the `Task`, options included.

    A plain function (a task module may expose undecorated helpers) is returned as is.
    """
    module_name, _, qualname = spec.partition(":")
    if not module_name or not qualname:
        raise TaskSpecError(f"{TASK_ENV}={spec!r} is not 'package.module:task_name'")
    module = _import(spec, module_name)
    target: Any = module
    for depth, part in enumerate(qualname.split(".")):
        try:
            target = getattr(target, part)
        except AttributeError:
            where = ".".join([module_name, *qualname.split(".")[:depth]])
            raise TaskNotFoundError(
                f"{TASK_ENV}={spec!r}: {where!r} has no attribute {part!r}"
                + _known_tasks(module)
                + "; rebuild and redeploy so the function and the code agree",
                name=module_name,
            ) from None
    return target


def _import(spec: str, module_name: str) -> ModuleType:
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        # Only the spec's own module (or a parent package) missing is a resolution error; a
        # missing dependency of the task module is the user's import error and propagates as is.
        missing = err.name or ""
        if missing and (module_name == missing or module_name.startswith(missing + ".")):
            raise TaskNotFoundError(
                f"{TASK_ENV}={spec!r}: module {module_name!r} is not importable "
                f"({missing!r} not found); is it in the deployment package and on sys.path?",
                name=module_name,
            ) from None
        raise


def _known_tasks(module: ModuleType) -> str:
    names = sorted(name for name, value in vars(module).items() if isinstance(value, Task))
    return f" (tasks in {module.__name__}: {', '.join(names)})" if names else ""


def task_options(target: Any) -> TaskOptions | None:
    """The options of a resolved `Task`, or None for a plain function (all defaults)."""
    return target.options if isinstance(target, Task) else None
