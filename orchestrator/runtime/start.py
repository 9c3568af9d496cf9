"""The machine's first task: flow parameters with their defaults (docs/data-contract.md).

Step Functions has no intrinsic that reads one key of a merged object, and the first state sees
the bare execution input, so the first task's payload carries the input and the defaults
(`START_KEY`), and its inputs hold a marker (`PARAM_KEY`) for each parameter that has a default.
The handler merges the defaults under the input (as `States.JsonMerge(defaults, input, false)`
would: top-level keys, the input wins), puts the merged values where the markers are, and returns
the merged parameters beside the task's result, from which the first state builds the state
document — so no Pass state is entered to do it.
"""

from __future__ import annotations

from typing import Any

from orchestrator.contract import PARAM_KEY, START_KEY

__all__ = ["ParameterReadError", "has_start", "start_params", "resolve_params", "start_result"]


class ParameterReadError(KeyError):
    """A first task's input reads a part of a parameter that the execution input lacks."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "parameter read failed"


def has_start(event: Any) -> bool:
    return isinstance(event, dict) and isinstance(event.get(START_KEY), dict)


def start_params(event: dict[str, Any]) -> dict[str, Any]:
    """The execution input with the defaults merged under it."""
    start = event[START_KEY]
    given = start.get("params")
    if not isinstance(given, dict):
        raise ParameterReadError(
            f"the execution input must be a JSON object of flow parameters, not {given!r}"
        )
    defaults = start.get("defaults") or {}
    return {**defaults, **given}


def resolve_params(value: Any, params: dict[str, Any]) -> Any:
    """`value` with every `{PARAM_KEY: [name, *path]}` marker replaced by that parameter part."""
    if isinstance(value, dict):
        if len(value) == 1 and PARAM_KEY in value:
            return _read(params, value[PARAM_KEY])
        return {k: resolve_params(v, params) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_params(v, params) for v in value]
    return value


def _read(params: dict[str, Any], steps: Any) -> Any:
    if not isinstance(steps, list) or not steps:
        raise ParameterReadError(f"malformed parameter marker {steps!r}")
    current: Any = params
    for depth, step in enumerate(steps):
        try:
            current = current[step]
        except (KeyError, IndexError, TypeError):
            where = steps[0] + "".join(f"[{s!r}]" for s in steps[1 : depth + 1])
            raise ParameterReadError(
                f"the flow reads parameter {where}, which the execution input lacks"
            ) from None
    return current


def start_result(params: dict[str, Any], value: Any) -> dict[str, Any]:
    """What the first task returns: the merged parameters and its own result."""
    return {"params": params, "value": value}
