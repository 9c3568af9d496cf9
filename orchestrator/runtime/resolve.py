"""Find the task a Lambda runs from its `ORCHESTRATOR_TASK` spec, `package.module:qualname`.

A wrong spec is a deploy mistake, found on the first invocation in AWS, far from the code that
caused it; so each way of getting it wrong gets an error that says what was looked for, where,
and what was there instead.

The runtime does not import the SDK (the SDK's local runs import the runtime): a task object is
recognised by its shape, `TaskLike` — what `orchestrator.sdk.task.Task` has — and anything else
a spec names is called as a plain function.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType
from typing import Any, Protocol, runtime_checkable

from orchestrator.contract import TASK_ENV


class TaskOptionsLike(Protocol):
    """The options the runtime reads: whether repeats must return the first result."""

    @property
    def idempotent(self) -> bool: ...


@runtime_checkable
class TaskLike(Protocol):
    """A `@task`-decorated function as the runtime sees it: the plain function and its options."""

    @property
    def fn(self) -> Callable[..., Any]: ...

    @property
    def options(self) -> TaskOptionsLike: ...


class TaskSpecError(ValueError):
    """`ORCHESTRATOR_TASK` is not of the form `package.module:task_name`."""


class TaskNotFoundError(ImportError):
    """The spec is well formed but names a module or attribute that does not exist."""


def resolve_task_object(spec: str) -> Any:
    """Import `package.module:qualname` and return what it names: the task, options included.

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
    names = sorted(name for name, value in vars(module).items() if isinstance(value, TaskLike))
    return f" (tasks in {module.__name__}: {', '.join(names)})" if names else ""


def task_function(target: Any) -> Callable[..., Any]:
    """The plain function of a resolved task (a plain function is its own)."""
    return target.fn if isinstance(target, TaskLike) else target


def task_options(target: Any) -> TaskOptionsLike | None:
    """The options of a resolved task, or None for a plain function (all defaults)."""
    return target.options if isinstance(target, TaskLike) else None


def is_idempotent(target: Any) -> bool:
    """Whether the code asks for idempotency: `@task(idempotent=True)`.

    The code, not the function's environment, decides: a task made idempotent after its last
    deploy must fail loudly for want of the table, not run its side effect twice silently.
    """
    options = task_options(target)
    return bool(getattr(options, "idempotent", False))
