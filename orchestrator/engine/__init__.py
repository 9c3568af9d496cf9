"""The local ASL interpreter: runs a compiled state machine in-process, like Step Functions.

JSONPath-mode ASL only. Tasks call Lambda functions through a `LambdaInvoker` supplied by the
caller (the runtime handler locally, anything in tests); every other semantic — paths,
templates, intrinsics, Choice, Retry/Catch, Parallel/Map, timeouts, payload limits, history
events — follows the Step Functions developer guide.
"""

from .clock import Clock, RealClock, VirtualClock
from .errors import DefinitionError, LambdaFunctionError, StatesError
from .execution import Execution
from .history import HistoryEvent
from .interpreter import execute
from .lane import LambdaInvoker
from .store import ExecutionSummary, RunStore

__all__ = [
    "Clock",
    "DefinitionError",
    "Execution",
    "ExecutionSummary",
    "HistoryEvent",
    "LambdaFunctionError",
    "LambdaInvoker",
    "RealClock",
    "RunStore",
    "StatesError",
    "VirtualClock",
    "execute",
]
