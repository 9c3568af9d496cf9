"""Find a user's flow from a spec: `path/to/file.py:flow` or `package.module:flow`.

The CLI and the project build start here. Whatever goes wrong while the user's code is imported —
a missing file, a typo in a task option, a plain exception at module level — comes out as one
`FlowDefinitionError` naming the file and line, so the CLI can print it without a traceback.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import sysconfig
import traceback
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any

from orchestrator.errors import FlowDefinitionError, OrchestratorError, display_path
from orchestrator.sdk.flow import Flow
from orchestrator.settings import read_settings

# Set on modules this loader executed from a file, so reloading the same file (a second CLI call
# in one process, a test) replaces it, while a clash with any other module is refused.
_LOADED_MARK = "__orchestrator_loaded_from__"

_ORCHESTRATOR_DIR = str(Path(__file__).resolve().parent)
_LIBRARY_DIRS = tuple(
    str(Path(p).resolve())
    for p in {sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")}
)


def load_flow(spec: str, root: Path | None = None) -> Flow:
    """Import the module `spec` names and return its Flow.

    `spec` is `path/to/file.py[:attr]` or `package.module[:attr]`; without `:attr` the module must
    hold exactly one Flow. Relative paths and dotted modules are looked up from `root` (default:
    the current directory), as `python -m` would.
    """
    base = (root or Path.cwd()).resolve()
    target, attr = split_spec(spec)
    if _is_path(target):
        module = _import_file(base / target if not Path(target).is_absolute() else Path(target))
    else:
        module = _import_dotted(target, base)
    return _pick_flow(module, attr, spec)


def load_callable(spec: str, root: Path | None = None) -> Any:
    """Import the module `spec` names and return its callable `attr` (a Lambda handler).

    `spec` is `path/to/file.py:attr` or `package.module:attr`, looked up as `load_flow` does.
    """
    base = (root or Path.cwd()).resolve()
    target, attr = split_spec(spec)
    if attr is None:
        raise FlowDefinitionError(
            f"{spec!r} names no function",
            fix="name the handler after a colon: path/to/file.py:handler or package.module:handler",
        )
    if _is_path(target):
        module = _import_file(base / target if not Path(target).is_absolute() else Path(target))
    else:
        module = _import_dotted(target, base)
    value = getattr(module, attr, None)
    if not callable(value):
        source = display_path(getattr(module, "__file__", None) or module.__name__)
        what = "has no attribute" if value is None else "has a non-callable"
        raise FlowDefinitionError(
            f"{source} {what} {attr!r}", fix="point at a function: handler(event, context)"
        )
    return value


def load_project_flows(pyproject: Path) -> list[Flow]:
    """The flows `[tool.orchestrator] flows = [...]` of `pyproject` lists, in that order."""
    settings = read_settings(pyproject)
    return [load_flow(spec, settings.root) for spec in settings.flows]


def split_spec(spec: str) -> tuple[str, str | None]:
    """`"a/b.py:etl"` → `("a/b.py", "etl")`; the attribute is optional (`"a/b.py"`)."""
    head, sep, tail = spec.strip().rpartition(":")
    # Only a Python identifier after the last colon is an attribute: "C:\\x.py" stays a path.
    if sep and head and tail.isidentifier():
        return head, tail
    return spec.strip(), None


def user_location(tb: TracebackType | None) -> str | None:
    """`file:line` of the innermost frame that is the user's code, not Python's or ours."""
    frames = traceback.extract_tb(tb)
    for frame in reversed(frames):
        if _is_user_file(frame.filename):
            return f"{display_path(frame.filename)}:{frame.lineno}"
    return None


def with_location(err: OrchestratorError, where: str | None) -> OrchestratorError:
    """`err`, naming `where` if it does not name a place yet (same class, same message parts)."""
    if where is None or not isinstance(err, FlowDefinitionError) or err.where:
        return err
    try:
        located = type(err)(err.problem, flow=err.flow, task=err.task, fix=err.fix, where=where)
    except TypeError:  # a subclass with another constructor: keep it as it is
        return err
    located.__traceback__ = err.__traceback__
    return located


# -- importing --------------------------------------------------------------------------------


def _is_path(target: str) -> bool:
    return target.endswith(".py") or "/" in target or os.sep in target


def _import_file(path: Path) -> ModuleType:
    if not path.is_file():
        hint = (
            "check the path (it is relative to the current directory)"
            if not path.exists()
            else "name a .py file, not a directory"
        )
        raise FlowDefinitionError(f"flow file {display_path(str(path))} does not exist", fix=hint)
    path = path.resolve()
    name, sys_path_entry = _module_name_for(path)
    existing = sys.modules.get(name)
    if existing is not None and getattr(existing, _LOADED_MARK, None) is None:
        if _same_file(getattr(existing, "__file__", None), path):
            return existing
        raise FlowDefinitionError(
            f"the flow file {display_path(str(path))} is importable as {name!r}, which is "
            "already another module",
            where=getattr(existing, "__file__", None) or name,
            fix=f"rename {path.name} (tasks are imported by module name on Lambda)",
        )
    # The file's directory (or its package root) goes on sys.path so sibling imports work, as
    # they do under `python file.py`.
    if sys_path_entry not in sys.path:
        sys.path.insert(0, sys_path_entry)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise FlowDefinitionError(f"cannot import {path}", fix="name a Python source file (.py)")
    module = importlib.util.module_from_spec(spec)
    setattr(module, _LOADED_MARK, str(path))
    # Registered before it runs, as `import` does: dataclasses, pickling and the tasks' keys
    # (module:qualname) all look the module up by name.
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException as err:
        sys.modules.pop(name, None)
        raise _import_failure(err, str(path)) from err
    return module


def _module_name_for(path: Path) -> tuple[str, str]:
    """The dotted name `path` has when its enclosing packages are imported, and their root.

    `functions/etl.py` next to `functions/__init__.py` is `functions.etl`: the name the Lambda
    runtime will import its tasks by. A loose script is its stem, its directory on sys.path.
    """
    parts = [path.stem]
    directory = path.parent
    while (directory / "__init__.py").is_file() and directory.parent != directory:
        parts.insert(0, directory.name)
        directory = directory.parent
    return ".".join(parts), str(directory)


def _import_dotted(target: str, base: Path) -> ModuleType:
    if not all(part.isidentifier() for part in target.split(".")):
        raise FlowDefinitionError(
            f"{target!r} is neither a .py file nor a module name",
            fix="name a flow as path/to/file.py:flow or package.module:flow",
        )
    if str(base) not in sys.path:
        sys.path.insert(0, str(base))
    try:
        return importlib.import_module(target)
    except ModuleNotFoundError as err:
        if err.name is not None and (target == err.name or target.startswith(err.name + ".")):
            raise FlowDefinitionError(
                f"no module named {err.name!r} (looked in {base} and on sys.path)",
                fix="run from the project root, or name the file: path/to/file.py:flow",
            ) from None
        raise _import_failure(err, target) from err
    except BaseException as err:
        raise _import_failure(err, target) from err


def _import_failure(err: BaseException, what: str) -> BaseException:
    """The error to raise when importing the user's module raised `err`."""
    if isinstance(err, KeyboardInterrupt):
        return err
    where = user_location(err.__traceback__)
    if isinstance(err, OrchestratorError):
        return with_location(err, where)
    if isinstance(err, SyntaxError) and err.filename:
        where = f"{display_path(err.filename)}:{err.lineno}"
        detail = f"SyntaxError: {err.msg}"
    else:
        detail = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
    return FlowDefinitionError(
        f"importing {display_path(what) if _is_path(what) else what} failed with {detail}",
        where=where,
        fix="fix the error at that line (run with --debug for the traceback)",
    )


def _pick_flow(module: ModuleType, attr: str | None, spec: str) -> Flow:
    flows = _flows_in(module)
    source = display_path(getattr(module, "__file__", None) or module.__name__)
    if attr is None:
        if len(flows) == 1:
            return next(iter(flows.values()))
        if not flows:
            raise FlowDefinitionError(
                f"{source} defines no flow",
                fix="define one with @flow or `with Flow(...) as name:`",
            )
        names = ", ".join(sorted(flows))
        raise FlowDefinitionError(
            f"{source} defines several flows ({names})",
            fix=f"pick one: {spec}:{sorted(flows)[0]}",
        )
    if not hasattr(module, attr):
        found = ", ".join(sorted(flows)) or "none"
        raise FlowDefinitionError(
            f"{source} has no attribute {attr!r} (flows defined there: {found})",
            fix=f"use {split_spec(spec)[0]}:<one of those>" if flows else "define the flow",
        )
    value: Any = getattr(module, attr)
    if not isinstance(value, Flow):
        raise FlowDefinitionError(
            f"{source}:{attr} is a {type(value).__name__}, not a Flow",
            fix="point at an object made by @flow or `with Flow(...)`",
        )
    return value


def _flows_in(module: ModuleType) -> dict[str, Flow]:
    """Public module attributes holding a Flow, by name; an alias keeps its first name (sorted)."""
    found: dict[str, Flow] = {}
    seen: set[int] = set()
    for name in sorted(vars(module)):
        value = getattr(module, name)
        if isinstance(value, Flow) and not name.startswith("_") and id(value) not in seen:
            seen.add(id(value))
            found[name] = value
    return found


# -- paths ------------------------------------------------------------------------------------


def _is_user_file(filename: str) -> bool:
    if filename.startswith("<"):
        return False
    resolved = str(Path(filename).resolve())
    if resolved.startswith(_ORCHESTRATOR_DIR + os.sep):
        return False
    return not any(resolved.startswith(d + os.sep) for d in _LIBRARY_DIRS)


def _same_file(a: str | None, b: Path) -> bool:
    try:
        return a is not None and Path(a).resolve() == b
    except OSError:
        return False
