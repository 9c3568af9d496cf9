"""`--param key=value`: reading the values, and refusing the ones the flow cannot take.

A value is JSON when it parses (`3`, `true`, `[1, 2]`), else a plain string (`n=abc`). A value
that starts like a JSON document (`{`, `[`, `"`) but does not parse is a mistake, not a string.
The values are then checked against the flow function's annotations by
`orchestrator.sdk.params.typed_params`, as `flow.run(**params)` checks them.
"""

from __future__ import annotations

import json
from typing import Any

from orchestrator.errors import ParameterError
from orchestrator.sdk.flow import Flow
from orchestrator.sdk.params import CLI_SPELLING
from orchestrator.sdk.params import typed_params as _typed_params

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


def raw_values(pairs: list[str]) -> dict[str, str]:
    """The text after `=` of each `k=v` pair (the last one wins, as in `parse_params`)."""
    return {key.strip(): raw for key, _, raw in (pair.partition("=") for pair in pairs)}


def typed_params(flow: Flow, params: dict[str, Any], raw: dict[str, str]) -> dict[str, Any]:
    """`params` checked against the flow's annotations, errors spelled as `--param k=v`."""
    return _typed_params(flow, params, raw, spelling=CLI_SPELLING)
