"""Flow parameters checked against the flow function's annotations before anything runs.

A parameter the flow function annotates (`n: int`) is validated with pydantic, so a wrong value
is a user error (a ParameterError: exit 2 on the command line), not a task failing halfway
through the run; `orchestrator run --param` and `flow.run(**params)` both check it here.
`with Flow(...)` parameters have no annotations: any JSON is accepted. pydantic is imported only
when a flow annotates its parameters.
"""

from __future__ import annotations

import inspect
import json
import typing
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from orchestrator.errors import ParameterError

if TYPE_CHECKING:
    from pydantic import TypeAdapter, ValidationError

    from orchestrator.sdk.flow import Flow

#: How an error names the value: `--param n=abc` on the command line, `n='abc'` in Python.
CLI_SPELLING = "--param {name}={value}"
API_SPELLING = "{name}={value}"


def typed_params(
    flow: Flow,
    params: dict[str, Any],
    raw: dict[str, str] | None = None,
    *,
    spelling: str = API_SPELLING,
) -> dict[str, Any]:
    """`params` checked against the flow function's annotations (as JSON values again).

    `raw` holds the text each value was read from on the command line: `--param name=007` is
    JSON 7 to the parser but a fine `name: str`, so a value the annotation refuses is tried
    again as its text.
    """
    hints = _annotations(flow._fn)
    if not any(h is not Any for name, h in hints.items() if name in params):
        return params
    from pydantic import TypeAdapter, ValidationError

    checked = dict(params)
    for name, value in params.items():
        hint = hints.get(name)
        if hint is None or hint is Any or not _is_json(value):
            continue  # not JSON at all (NaN, a set): the run's input check says so
        try:
            adapter: TypeAdapter[Any] = TypeAdapter(hint)
        except Exception:  # a type pydantic cannot check (a plain class): the task will see
            continue
        try:
            valid = adapter.validate_python(value)
        except ValidationError as err:
            text = (raw or {}).get(name)
            valid = _as_text(adapter, text, err, flow.name, name, hint, spelling)
        checked[name] = adapter.dump_python(valid, mode="json")
    return checked


def _is_json(value: Any) -> bool:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return False
    return True


def _as_text(
    adapter: TypeAdapter[Any],
    text: str | None,
    err: ValidationError,
    flow: str,
    name: str,
    hint: Any,
    spelling: str,
) -> Any:
    from pydantic import ValidationError

    if text is not None:
        try:
            return adapter.validate_python(text)
        except ValidationError:
            pass
    problem = err.errors()[0]["msg"] if err.errors() else str(err)
    shown = text if text is not None else json.dumps(err.errors()[0].get("input"))
    given = spelling.format(name=name, value=shown)
    raise ParameterError(
        f"flow {flow!r}: {given} does not fit `{name}: {_type_name(hint)}` "
        f"({problem}). Fix: pass a value of type {_type_name(hint)}"
    ) from None


def _annotations(fn: Callable[..., Any] | None) -> dict[str, Any]:
    """The flow function's parameter annotations that can be resolved (others are skipped)."""
    if fn is None:
        return {}
    try:
        return typing.get_type_hints(fn)
    except Exception:  # a forward reference to a name that is not importable: check nothing
        return {
            name: p.annotation
            for name, p in inspect.signature(fn).parameters.items()
            if p.annotation is not p.empty and not isinstance(p.annotation, str)
        }


def _type_name(hint: Any) -> str:
    return hint.__name__ if isinstance(hint, type) else str(hint).replace("typing.", "")
