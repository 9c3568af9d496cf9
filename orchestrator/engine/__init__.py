"""The local ASL interpreter: runs a compiled state machine in-process, like Step Functions.

JSONPath and JSONata states, and workflow variables (`Assign`, `$name`), as the Step Functions
developer guide documents them (docs/jsonata.md says what is supported and what is refused).
Tasks call Lambda functions through a `LambdaInvoker` supplied by the caller (the local-run
layer, anything in tests), which returns the function's result or, when it knows the version
that ran and the request id, a `LambdaResponse`; every other semantic — paths, templates,
intrinsics, JSONata expressions, Choice, Retry/Catch, Parallel/Map, timeouts, payload limits,
history events — follows the Step Functions developer guide. `redrive` continues an unsuccessful
execution from where it stopped, as RedriveExecution does. The engine imports nothing else of
Orchestrator.

Names are loaded on first use (PEP 562), so `orchestrator.engine.spec` — the AWS facts the SDK,
planner and runtime share — can be imported without loading the interpreter.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .clock import Clock, RealClock, VirtualClock
    from .errors import DefinitionError, LambdaFunctionError, StatesError
    from .execution import Execution
    from .history import HistoryEvent
    from .interpreter import execute
    from .lambda_response import LambdaResponse
    from .lane import LambdaInvoker
    from .objects import ObjectStore
    from .redrive_execution import ExecutionNotRedrivable, redrive

_EXPORTS = {
    "Clock": "clock",
    "RealClock": "clock",
    "VirtualClock": "clock",
    "DefinitionError": "errors",
    "LambdaFunctionError": "errors",
    "StatesError": "errors",
    "Execution": "execution",
    "HistoryEvent": "history",
    "execute": "interpreter",
    "LambdaInvoker": "lane",
    "LambdaResponse": "lambda_response",
    "ObjectStore": "objects",
    "ExecutionNotRedrivable": "redrive_execution",
    "redrive": "redrive_execution",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


__all__ = [
    "Clock",
    "DefinitionError",
    "Execution",
    "ExecutionNotRedrivable",
    "HistoryEvent",
    "LambdaFunctionError",
    "LambdaInvoker",
    "LambdaResponse",
    "ObjectStore",
    "RealClock",
    "StatesError",
    "VirtualClock",
    "execute",
    "redrive",
]
