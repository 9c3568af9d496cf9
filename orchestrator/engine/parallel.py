"""The Parallel state: every branch gets the same input, the result is their outputs in order.

A failing branch fails the state with the branch's own error (after aborting its siblings); the
state's Retry re-runs all branches. A redrive re-runs only the branches that did not succeed,
each from the state it stopped in; the others keep their outputs (`progress.py`).
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
from .progress import FanOut, StatePlan
from .retry import RecoverableState
from .state import template_field
from .steps import Steps

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
        context = self.context_fn(lane, entered)
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
        at = lane.track.at
        assert at is not None  # run_program records the state before running it
        plan = at.take_plan()
        kept = plan.children(distributed=False) if plan is not None else None
        fan = at.attempt()
        outputs: list[Any] = [None] * len(self.branches)
        places, jobs = [], []
        for index, program in enumerate(self.branches):
            if kept is not None and kept.outputs is not None and index in kept.outputs:
                outputs[index] = kept.outputs[index]
                fan.succeed(index, outputs[index])
                continue
            resume = kept.lanes.get(index) if kept is not None else None
            places.append(index)
            jobs.append(self._branch(lane, scope, fan, index, program, (effective, text), resume))
        try:
            done = run_all(jobs, len(jobs), scope)
        except StatesError:
            lane.join()
            lane.emit("ParallelStateFailed", {})  # AWS gives this event no details
            raise
        for index, output in zip(places, done, strict=True):
            outputs[index] = output
        lane.join()
        lane.emit("ParallelStateSucceeded", {})
        return outputs

    @staticmethod
    def _branch(
        lane: Lane,
        scope: AbortScope,
        fan: FanOut,
        index: int,
        program: Program,
        given: tuple[Any, str],
        resume: StatePlan | None,
    ) -> Callable[[], Steps[Any]]:
        def run_branch() -> Steps[Any]:
            branch = lane.child(scope, track=fan.start(index))
            output = (yield from run_program(program, branch, *given, resume))[0]
            fan.succeed(index, output)
            return output

        return run_branch
