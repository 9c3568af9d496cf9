"""`--param key=value`: reading the values, and refusing the ones the flow cannot take.

A value is JSON when it parses (`3`, `true`, `[1, 2]`), else a plain string (`n=abc`). A value
that starts like a JSON document (`{`, `[`, `"`) but does not parse is a mistake, not a string.
A parameter the flow function annotates (`n: int`) is checked against its annotation with
pydantic before anything runs, so a wrong value is a user error (exit 2), not a task failing
halfway through the run. `with Flow(...)` parameters have no annotations: any JSON is accepted.
"""

from __future__ import annotations

import inspect
import json
import typing
from collections.abc import Callable
from typing import Any

from pydantic import TypeAdapter, ValidationError

from orchestrator.errors import ParameterError
from orchestrator.sdk.flow import Flow

_JSON_STARTS = ("{", "[", '"')


def parse_params(pairs: list[str]) -> dict[str, Any]:
    """`k=v` pairs → {k: value}; see the module docstring for how a value is read."""
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise ParameterError(f"--param {pair!r} is not key=value; e.g. --param n=3")
        params[key.strip()] = _value(key.strip(), raw)
    return params


def _value(key: str, raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError as err:
        if raw.lstrip().startswith(_JSON_STARTS):
            raise ParameterError(
                f"--param {key}={raw!r} starts like JSON but is not valid JSON ({err.msg} at "
                f"character {err.pos}); fix the JSON, or quote it for the shell, e.g. "
                f"--param '{key}={{\"a\": 1}}'"
            ) from None
        return raw


def typed_params(flow: Flow, params: dict[str, Any], raw: dict[str, str]) -> dict[str, Any]:
    """`params` checked against the flow function's annotations (as JSON values again).

    `raw` holds the text each value was read from: `--param name=007` is JSON 7 to the parser
    but a fine `name: str`, so a value the annotation refuses is tried again as its text.
    """
    hints = _annotations(flow._fn)
    checked = dict(params)
    for name, value in params.items():
        hint = hints.get(name)
        if hint is None or hint is Any:
            continue
        try:
            adapter: TypeAdapter[Any] = TypeAdapter(hint)
        except Exception:  # a type pydantic cannot check (a plain class): the task will see
            continue
        try:
            valid = adapter.validate_python(value)
        except ValidationError as err:
            valid = _as_text(adapter, raw.get(name), err, flow.name, name, hint)
        checked[name] = adapter.dump_python(valid, mode="json")
    return checked


def raw_values(pairs: list[str]) -> dict[str, str]:
    """The text after `=` of each `k=v` pair (the last one wins, as in `parse_params`)."""
    return {key.strip(): raw for key, _, raw in (pair.partition("=") for pair in pairs)}


def _as_text(
    adapter: TypeAdapter[Any],
    text: str | None,
    err: ValidationError,
    flow: str,
    name: str,
    hint: Any,
) -> Any:
    if text is not None:
        try:
            return adapter.validate_python(text)
        except ValidationError:
            pass
    problem = err.errors()[0]["msg"] if err.errors() else str(err)
    shown = text if text is not None else json.dumps(err.errors()[0].get("input"))
    raise ParameterError(
        f"flow {flow!r}: --param {name}={shown} does not fit `{name}: {_type_name(hint)}` "
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
