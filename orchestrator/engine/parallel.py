"""The Parallel state: every branch gets the same input, the result is their outputs in order.

A failing branch fails the state with the branch's own error (after aborting its siblings); the
state's Retry re-runs all branches.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .errors import DefinitionError, StatesError
from .fanout import run_all
from .fields import array
from .history import AbortScope
from .jsonpath import dumps
from .lane import Lane
from .program import Program, run_program
from .retry import RecoverableState
from .state import template_field

Compile = Callable[[dict[str, Any], str], Program]


class ParallelState(RecoverableState):
    kind = "Parallel"
    fields = RecoverableState.fields | {"Branches", "Parameters"}

    def __init__(self, name: str, spec: dict[str, Any], compile_program: Compile) -> None:
        super().__init__(name, spec)
        branches = array(spec, "Branches", self.where)
        if not branches:
            raise DefinitionError(f"Parallel state {name!r} needs a non-empty Branches list")
        self.branches = [
            compile_program(branch, f"{name}.Branches[{i}]") for i, branch in enumerate(branches)
        ]
        self.parameters = template_field(spec, "Parameters")
        self.result_selector = template_field(spec, "ResultSelector")

    def attempt(self, lane: Lane, value: Any, entered: int, retry_count: int) -> Any:
        context = self.context_fn(lane, entered, retry_count)
        effective = self.apply_input_path(value)
        if self.parameters is not None:
            effective = self.parameters.evaluate(effective, context)
        result: Any = self._run_branches(lane, effective)
        if self.result_selector is not None:
            result = self.result_selector.evaluate(result, context)
        return result

    def _run_branches(self, lane: Lane, effective: Any) -> list[Any]:
        lane.emit("ParallelStateStarted", {})
        text = dumps(effective)
        scope = AbortScope(lane.scope)

        def branch(program: Program) -> Callable[[], Any]:
            return lambda: run_program(program, lane.child(scope), effective, text)[0]

        try:
            outputs = run_all([branch(p) for p in self.branches], len(self.branches), scope)
        except StatesError:
            lane.join()
            lane.emit("ParallelStateFailed", {})  # AWS gives this event no details
            raise
        lane.join()
        lane.emit("ParallelStateSucceeded", {})
        return outputs
