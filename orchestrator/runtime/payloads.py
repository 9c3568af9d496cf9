"""Typed task payloads: Python values a task returns and receives, as JSON in the state machine.

A task may return, and take as annotated parameters, `datetime`, `date`, `time`, `Decimal`,
`UUID`, `bytes` (base64 in the state document), dataclasses and pydantic models, besides plain
JSON. Results are encoded by pydantic (a `TypeAdapter(Any)` in JSON mode); an input whose
parameter is annotated with such a type is decoded back with a `TypeAdapter` of that annotation,
in JSON mode (ISO dates, base64 bytes) — the same code in Lambda, in a local run and in moto, so
a value round-trips identically everywhere. (A pydantic model serialises with its own config:
bytes inside a model need `ser_json_bytes="base64"`/`val_json_bytes="base64"` there.)
NaN and ±Infinity (not JSON) and sets (no order, no JSON type) are refused with the task's name.

pydantic is imported only when a task uses such a type: a task of plain JSON pays nothing (a
Lambda cold start would otherwise pay for importing it).
"""

from __future__ import annotations

import functools
import json
import math
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["TaskResultError", "decode_inputs", "encode_result", "jsonable_result"]

#: Annotations whose values are already what JSON decodes to: no conversion.
_JSON_NATIVE: frozenset[Any] = frozenset(
    {str, int, float, bool, type(None), list, dict, Any, object, typing.Any}
)


class TaskResultError(TypeError):
    """A task returned something that cannot travel through Step Functions (not JSON)."""


def jsonable_result(task: str, result: Any) -> tuple[Any, str]:
    """`result` as JSON types and as JSON text (a typed value converted), or a TaskResultError.
    Plain JSON is serialised once and returned as it is."""
    try:
        return result, json.dumps(result, allow_nan=False)
    except ValueError:
        raise _not_json(task, result, "NaN or Infinity is not JSON") from None
    except TypeError:
        text = encode_result(task, result)
        return json.loads(text), text


def check_reads(task: str, value: Any, reads: Any, map_index: Any = None) -> None:
    """Fail with a TaskResultError when `value` lacks a path the flow's result reads
    (`RESULT_READS_KEY`): named here, by task and key, rather than after the run succeeded.
    A mapped task's item checks the paths that start with its own index."""
    for path in reads if isinstance(reads, list) else ():
        if not isinstance(path, list):
            continue
        if isinstance(map_index, int):
            if not path or path[0] != map_index:
                continue
            path = path[1:]
        current = value
        for depth, step in enumerate(path):
            missing = _missing_step(current, step)
            if missing is not None:
                selected = "".join(f"[{s!r}]" for s in path[: depth + 1])
                raise TaskResultError(
                    f"task {task!r} returned a result without {selected}: {missing}; the "
                    f"flow returns {task}(){selected} — return that key from the task, or "
                    "return something else from the flow"
                )
            current = current[step]


def _missing_step(value: Any, step: Any) -> str | None:
    """Why `value[step]` does not exist (as a JSONPath step would not), or None."""
    if isinstance(step, str):
        if not isinstance(value, dict):
            return f"it is {_json_kind(value)}, not an object"
        if step not in value:
            keys = ", ".join(repr(k) for k in list(value)[:10]) or "none"
            return f"its keys are {keys}"
        return None
    if not isinstance(value, list):
        return f"it is {_json_kind(value)}, not a list"
    if not -len(value) <= step < len(value):
        return f"it has {len(value)} item(s)"
    return None


def _json_kind(value: Any) -> str:
    kinds = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    return kinds.get(type(value), "a number")


def encode_result(task: str, result: Any) -> str:
    """`result` as JSON text, or a TaskResultError naming the task and the type."""
    try:
        return json.dumps(result, allow_nan=False)
    except ValueError:
        raise _not_json(task, result, "NaN or Infinity is not JSON") from None
    except TypeError:
        pass  # a typed value: datetime, Decimal, a dataclass, a model…
    _refuse_sets(task, result)
    try:
        jsonable = _serializer().dump_python(result, mode="json")
    except Exception as err:  # an unknown type, or bytes a model serialises as UTF-8
        raise _not_json(task, result, str(err).splitlines()[0]) from None
    try:
        return json.dumps(jsonable, allow_nan=False)
    except ValueError:
        raise _not_json(task, result, "NaN or Infinity is not JSON") from None


@functools.lru_cache(maxsize=1)
def _serializer() -> Any:
    """pydantic's serializer of any value to JSON types (bytes as base64), made once."""
    from pydantic import ConfigDict, TypeAdapter

    return TypeAdapter(Any, config=ConfigDict(ser_json_bytes="base64"))


def _not_json(task: str, result: Any, why: str) -> TaskResultError:
    return TaskResultError(
        f"task {task!r} returned a {type(result).__name__} that cannot travel as JSON ({why}); "
        "return JSON values, datetime/date/Decimal/UUID/bytes, dataclasses or pydantic models"
    )


def _refuse_sets(task: str, value: Any) -> None:
    if isinstance(value, set | frozenset):
        raise _not_json(task, value, "a set has no order and no JSON type: return a sorted list")
    if isinstance(value, dict):
        for item in value.values():
            _refuse_sets(task, item)
    elif isinstance(value, list | tuple):
        for item in value:
            _refuse_sets(task, item)
    elif isinstance(value, float) and not math.isfinite(value):
        raise _not_json(task, value, "NaN or Infinity is not JSON")


def decode_inputs(fn: Callable[..., Any], inputs: dict[str, Any]) -> dict[str, Any]:
    """`inputs` with each value whose parameter is annotated with a typed payload converted."""
    adapters = _adapters(fn)
    if not adapters:
        return inputs
    decoded = dict(inputs)
    for name, adapter in adapters.items():
        if name in decoded and decoded[name] is not None:
            decoded[name] = adapter.validate_json(json.dumps(decoded[name]))
    return decoded


@functools.lru_cache(maxsize=1024)
def _adapters(fn: Callable[..., Any]) -> Mapping[str, Any]:
    """Parameter → a pydantic TypeAdapter, for the parameters that need one (cached per task)."""
    try:
        hints = typing.get_type_hints(fn)
    except Exception:  # an annotation that does not resolve: leave the inputs as they are
        return {}
    hints.pop("return", None)
    typed = {name: hint for name, hint in hints.items() if not _json_native(hint)}
    if not typed:
        return {}
    from pydantic import ConfigDict, TypeAdapter

    config = ConfigDict(val_json_bytes="base64")
    out: dict[str, Any] = {}
    for name, hint in typed.items():
        try:
            out[name] = TypeAdapter(hint, config=config)
        except Exception:  # a model with its own config, or a type pydantic cannot handle
            out[name] = TypeAdapter(hint)
    return out


def _json_native(hint: Any) -> bool:
    """Whether values of `hint` are exactly what JSON decoding produces (no conversion)."""
    if hint in _JSON_NATIVE:
        return True
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType, list, dict, typing.Annotated):
        args = typing.get_args(hint)
        if origin is typing.Annotated:
            args = args[:1]
        return all(_json_native(a) for a in args)
    return False
