"""The Map state, INLINE and DISTRIBUTED.

DISTRIBUTED runs in-process like INLINE (AWS runs child executions): its iterations still appear
in this history as MapIteration events, bracketed by MapRunStarted (with the Map Run's ARN) and
MapRunSucceeded|Failed. Its failure rule is AWS's: any iteration failure beyond
ToleratedFailureCount/Percentage (default 0) fails the state with
States.ExceedToleratedFailureThreshold; an INLINE Map fails with the iteration's own error (the
tolerance fields, like ItemReader, ItemBatcher and ResultWriter, belong to Distributed Maps only,
and are refused on an INLINE one). A tolerated failure leaves `{"Error", "Cause"}` in the result
list at that item's index.

The items are the effective input at ItemsPath, or what the ItemReader reads from the object
store given to `execute` (`item_reader.py`); ItemSelector then shapes each one and the
ItemBatcher groups them (`item_batcher.py`). A ResultWriter exports or reshapes the children's
results (`result_writer.py`) from their outcomes, kept per child (`map_run.py`).

A redrive re-runs only the iterations that failed, were aborted or never started, each from the
state it stopped in, and redrives the same Map Run (`progress.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .context_object import MapItemContext
from .errors import RUNTIME, TOLERATED, DefinitionError, StatesError
from .fanout import run_all
from .fields import enum, obj, one_of, path, refuse_unknown
from .history import AbortScope
from .item_batcher import item_batcher
from .item_reader import item_reader
from .jsonpath import Path, PathNotFound, compile_path, dumps
from .lane import Lane
from .limit import limit
from .map_run import MapRun, Outcomes
from .program import Program, run_program
from .progress import FanOut, StatePlan
from .result_writer import Destination, ResultWriter, result_writer
from .retry import RecoverableState
from .spec import (
    INLINE_MAP_MAX_CONCURRENCY,
    MAP_EXECUTION_TYPES,
    MAP_LABEL_FORBIDDEN,
    MAP_LABEL_MAX_LENGTH,
    MAP_MAX_TOLERATED_FAILURE_PERCENTAGE,
    MAP_MODES,
)
from .state import ContextPath, invalid_path_cause, template_field
from .steps import Steps

Compile = Callable[[dict[str, Any], str], Program]

# The fields of an Inline Map ("Using Map state in Inline mode": ItemProcessor or the deprecated
# Iterator, ItemsPath, ItemSelector or the deprecated Parameters, MaxConcurrency(Path), ...) and
# those only a Distributed Map has ("Distributed Map state fields"); an Inline Map with one of
# the latter is refused rather than run with semantics AWS would not give it.
_MAP_FIELDS = RecoverableState.fields | {
    "ItemProcessor",
    "Iterator",
    "ItemsPath",
    "ItemSelector",
    "Parameters",
    "MaxConcurrency",
    "MaxConcurrencyPath",
}
_DISTRIBUTED_ONLY = frozenset(
    {
        "ItemReader",
        "ItemBatcher",
        "ResultWriter",
        "Label",
        "ToleratedFailureCount",
        "ToleratedFailureCountPath",
        "ToleratedFailurePercentage",
        "ToleratedFailurePercentagePath",
    }
)
_PROCESSOR_CONFIG_FIELDS = frozenset({"Mode", "ExecutionType"})


def _processor(spec: dict[str, Any], where: str) -> tuple[dict[str, Any], bool]:
    """The item processor (ItemProcessor, or the deprecated Iterator) and whether it is
    DISTRIBUTED (ProcessorConfig.Mode; INLINE by default, DISTRIBUTED needs an ExecutionType)."""
    key = str(one_of(spec, ("ItemProcessor", "Iterator"), where, required=True))
    processor = obj(spec, key, where)
    if not processor:
        raise DefinitionError(f"{where}: {key} must be an object with StartAt and States")
    at = f"{where} {key}.ProcessorConfig"
    config = obj(processor, "ProcessorConfig", f"{where} {key}") or {}
    refuse_unknown(config, _PROCESSOR_CONFIG_FIELDS, at)
    distributed = enum(config, "Mode", at, MAP_MODES, "INLINE") == "DISTRIBUTED"
    if distributed:
        if "ExecutionType" not in config:
            raise DefinitionError(f"{at}: Mode DISTRIBUTED needs an ExecutionType")
        enum(config, "ExecutionType", at, MAP_EXECUTION_TYPES, "STANDARD")
    return processor, distributed


def _label(spec: dict[str, Any], where: str, name: str) -> str:
    """The Label that names the Map Run (the state name without one), checked as AWS does."""
    label = spec.get("Label", name)
    if "Label" in spec and (
        not isinstance(label, str)
        or not 0 < len(label) <= MAP_LABEL_MAX_LENGTH
        or any(c.isspace() or c in MAP_LABEL_FORBIDDEN or _control(c) for c in label)
    ):
        raise DefinitionError(
            f"{where}: Label must be 1 to {MAP_LABEL_MAX_LENGTH} characters without whitespace, "
            f"control characters or any of {''.join(sorted(MAP_LABEL_FORBIDDEN))}, "
            f"got {dumps(label)}"
        )
    return str(label)


def _control(c: str) -> bool:
    return ord(c) <= 0x1F or 0x7F <= ord(c) <= 0x9F


class MapState(RecoverableState):
    kind = "Map"
    fields = _MAP_FIELDS | _DISTRIBUTED_ONLY

    def __init__(self, name: str, spec: dict[str, Any], compile_program: Compile) -> None:
        where = f"state {name!r}"
        processor, self.distributed = _processor(spec, where)
        distributed_only = sorted(_DISTRIBUTED_ONLY & spec.keys())
        if distributed_only and not self.distributed:
            raise DefinitionError(
                f"{where}: {distributed_only[0]} is a field of Distributed Maps only, and this Map "
                f"is INLINE (set ItemProcessor.ProcessorConfig.Mode to DISTRIBUTED)"
            )
        super().__init__(name, spec)
        self.program = compile_program(processor, f"{name}.ItemProcessor")
        self.reader = item_reader(spec, where)
        if self.reader is not None and "ItemsPath" in spec:
            # "You can use ItemsPath in the Distributed Map state only if you use a JSON input
            # passed from a previous state in the workflow."
            raise DefinitionError(
                f"{where}: ItemsPath selects items in the state input, and this Map reads them "
                f"with an ItemReader: give one or the other"
            )
        items_path = spec.get("ItemsPath")
        if isinstance(items_path, str) and items_path.startswith("$$"):
            # "JSONPath states can refer to the context ($$.) from [...] ItemsPath"
            context_items = path({"ItemsPath": items_path[1:]}, "ItemsPath", where)
            self.items_path: Path | ContextPath = ContextPath(items_path, context_items)
            self.context_paths = True
        else:
            self.items_path = path(spec, "ItemsPath", where) or compile_path("$")
        self.selector = template_field(spec, "ItemSelector", "Parameters")
        self.result_selector = template_field(spec, "ResultSelector")
        self.batcher = item_batcher(spec, where)
        self.writer = result_writer(spec, where)
        self.label = _label(spec, where, name)
        self.concurrency = limit(spec, "MaxConcurrency", where, 0, None, integral=True)
        self.tolerated_count = limit(spec, "ToleratedFailureCount", where, 0, None, integral=True)
        self.tolerated_percentage = limit(
            spec,
            "ToleratedFailurePercentage",
            where,
            0,
            MAP_MAX_TOLERATED_FAILURE_PERCENTAGE,
            integral=False,
        )

    def attempt(self, lane: Lane, value: Any, entered: int, retry_count: int) -> Any:
        context = self.context_fn(lane, entered)
        effective = self.apply_input_path(value)
        result: Any = self._run_items(lane, effective, context)
        if self.result_selector is not None:
            result = self.result_selector.evaluate(result, context)
        return result

    def _items(self, lane: Lane, effective: Any, context: Callable[[], Any]) -> list[Any]:
        """The children's inputs: the items (read, or at ItemsPath), selected, then batched."""
        if self.reader is not None:
            items = self.reader.read(lane.run.objects, effective, context)
        else:
            try:
                items = self.items_path.get(effective)
            except PathNotFound:
                raise StatesError(RUNTIME, invalid_path_cause(self.items_path)) from None
            if not isinstance(items, list):
                raise StatesError(
                    RUNTIME,
                    f"Invalid path '{self.items_path.text}': The ItemsPath must point to an array, "
                    f"got {dumps(items)}",
                )
        if self.selector is not None:
            selector = self.selector
            if selector.uses_context:
                base = context()
                selected = selector.bind(effective)
                items = [selected(MapItemContext(i, item, base)) for i, item in enumerate(items)]
            else:
                items = [selector.evaluate(effective, context) for _ in items]
        if self.batcher is not None:
            items = self.batcher.batches(items, effective, context)
        return items

    def _run_items(self, lane: Lane, effective: Any, context: Callable[[], Any]) -> Any:
        items = self._items(lane, effective, context)
        concurrency = int(self.concurrency.resolve(effective, 0))
        tolerance = self._tolerance(effective, len(items))
        writer = self.writer
        destination = None
        if writer is not None:
            destination = writer.destination(lane.run.objects, effective, context)
        at = lane.track.at
        assert at is not None  # run_program records the state before running it
        plan = at.take_plan()
        kept = plan.children(distributed=self.distributed) if plan is not None else None
        fan = at.attempt()
        lane.emit("MapStateStarted", {"length": len(items)})
        run = self._map_run(lane, kept, fan) if self.distributed else None
        # With a ResultWriter the outcomes hold each child's output (its one copy) and status.
        outcomes = Outcomes(items, lane.run.clock) if writer is not None else None
        scope = AbortScope(lane.scope)
        name = self.name
        program = self.program
        distributed = self.distributed  # its children cannot read outer variables

        def iteration(index: int, item: Any, resume: StatePlan | None) -> Callable[[], Steps[Any]]:
            def run_child() -> Steps[Any]:
                child = lane.child(scope, track=fan.start(index), isolated=distributed)
                child.emit("MapIterationStarted", {"name": name, "index": index})
                if outcomes is not None:
                    outcomes.start(index)
                try:
                    output, _ = yield from run_program(program, child, item, dumps(item), resume)
                except StatesError as exc:
                    if outcomes is not None:
                        outcomes.fail(index, exc)
                    child.emit("MapIterationFailed", {"name": name, "index": index})
                    raise
                # Its states all exited: it succeeded, even if aborted before its last event.
                fan.succeed(index, output)
                if outcomes is not None:
                    outcomes.succeed(index, output)
                    output = None
                child.emit("MapIterationSucceeded", {"name": name, "index": index})
                return output

            return run_child

        # A redrive keeps the iterations that succeeded (no events: they are in the history
        # already) and re-runs the others, each from the state it stopped in.
        results: Any = [None] * len(items)
        succeeded = kept.outputs if kept is not None and kept.outputs is not None else {}
        places, jobs = [], []
        for index, item in enumerate(items):
            if index in succeeded:
                fan.succeed(index, succeeded[index])
                if outcomes is not None:
                    outcomes.start(index)
                    outcomes.succeed(index, succeeded[index])
                else:
                    results[index] = succeeded[index]
                continue
            places.append(index)
            jobs.append(iteration(index, item, kept.lanes.get(index) if kept else None))
        # MaxConcurrency 0 means "as many as possible": this many threads at once (AWS's inline
        # Map also tops out at 40 concurrent iterations).
        workers = concurrency or INLINE_MAP_MAX_CONCURRENCY
        try:
            ran = run_all(jobs, int(workers), scope, tolerance)
        except StatesError as exc:
            lane.join()
            if writer is not None and run is not None and outcomes is not None:
                _export_failed_run(writer, run, outcomes, destination)
            self._failed(lane, exc)
            raise
        if len(places) == len(items):
            results = ran  # no redrive plan: the common case, without re-placing every result
        else:
            for index, output in zip(places, ran, strict=True):
                results[index] = output
        lane.join()
        if writer is not None and run is not None and outcomes is not None:
            try:
                if destination is None:
                    results = writer.preview(run, outcomes)
                else:
                    results = writer.export(run, outcomes, destination)
            except StatesError as exc:
                self._failed(lane, exc)
                raise
        if self.distributed:
            lane.emit("MapRunSucceeded", {})
        lane.emit("MapStateSucceeded", {})
        return results

    def _map_run(self, lane: Lane, kept: StatePlan | None, fan: FanOut) -> MapRun:
        """The Map Run: a new one, or on a redrive the one that failed, redriven ("To redrive
        a workflow that includes a Distributed Map state whose Map Run failed, you must redrive
        the parent workflow"; the history gets a MapRunRedriven event)."""
        machine = lane.run.execution_context["StateMachine"]
        if kept is None or kept.map_run_arn is None:
            run = MapRun(machine, self.label)
            fan.map_run_arn = run.arn
            lane.emit("MapRunStarted", {"mapRunArn": run.arn})
            return run
        run = MapRun(machine, self.label, arn=kept.map_run_arn)
        fan.map_run_arn = run.arn
        fan.map_run_redrives = kept.map_run_redrives + 1
        lane.emit("MapRunRedriven", {"mapRunArn": run.arn, "redriveCount": fan.map_run_redrives})
        return run

    def _failed(self, lane: Lane, exc: StatesError) -> None:
        if self.distributed:
            lane.emit("MapRunFailed", {"error": exc.error, "cause": exc.cause})
        lane.emit("MapStateFailed", {})  # AWS gives this event no details

    def _tolerance(self, effective: Any, total: int) -> Callable[[int, StatesError], Any] | None:
        if not self.distributed:
            return None  # an Inline Map fails with its first failing iteration's error
        count = self.tolerated_count.resolve(effective, 0)
        percentage = self.tolerated_percentage.resolve(effective, 0)
        has_count = self.tolerated_count.given
        has_pct = self.tolerated_percentage.given
        failed = [0]

        def on_failure(index: int, error: StatesError) -> Any:
            failed[0] += 1
            over_count = failed[0] > count
            over_pct = failed[0] * 100.0 / total > percentage
            # With both limits set, exceeding either fails; with one, only that one counts.
            exceeded = (
                (over_count or over_pct)
                if has_count and has_pct
                else over_pct
                if has_pct
                else over_count
            )
            if exceeded:
                raise StatesError(
                    TOLERATED, "The specified tolerated failure threshold was exceeded"
                )
            return {"Error": error.error, "Cause": error.cause}

        return on_failure


def _export_failed_run(
    writer: ResultWriter, run: MapRun, outcomes: Outcomes, destination: Destination | None
) -> None:
    """The run failed: AWS still exports what became of every child (running ones aborted,
    unstarted ones pending) before the state fails with the run's error, which a failure to
    write does not replace."""
    outcomes.freeze()
    if destination is not None:
        try:
            writer.export(run, outcomes, destination)
        except StatesError:
            pass
