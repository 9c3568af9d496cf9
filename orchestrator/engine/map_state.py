"""The Map state, INLINE and DISTRIBUTED.

DISTRIBUTED runs in-process like INLINE (AWS runs child executions): its iterations still appear
in this history as MapIteration events, bracketed by MapRunStarted/MapRunSucceeded|Failed. Its
failure rule is AWS's: any iteration failure beyond ToleratedFailureCount/Percentage (default 0)
fails the state with States.ExceedToleratedFailureThreshold; an INLINE Map fails with the
iteration's own error (the tolerance fields, like ItemBatcher, belong to Distributed Maps only,
and are refused on an INLINE one). A tolerated failure leaves `{"Error", "Cause"}` in the result
list at that item's index. ItemReader and ResultWriter (S3) are not supported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import RUNTIME, TOLERATED, DefinitionError, StatesError
from .fanout import run_all
from .fields import describe, enum, in_range, integer, number, obj, one_of, path, refuse_unknown
from .history import AbortScope
from .jsonpath import Path, PathNotFound, compile_path, dumps
from .lane import Lane
from .program import Program, run_program
from .retry import RecoverableState
from .spec import (
    INLINE_MAP_MAX_CONCURRENCY,
    MAP_EXECUTION_TYPES,
    MAP_MAX_TOLERATED_FAILURE_PERCENTAGE,
    MAP_MODES,
)
from .state import (
    invalid_path_cause,
    payload_size,
    template_field,
)

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


@dataclass(frozen=True)
class _Limit:
    """A Map number (MaxConcurrency, ToleratedFailure...) given as a value or as a ...Path."""

    key: str
    value: float | None
    path: Path | None
    low: int
    high: int | None
    integral: bool

    @property
    def given(self) -> bool:
        return self.value is not None or self.path is not None

    def resolve(self, effective: Any, default: float) -> float:
        if self.path is None:
            return default if self.value is None else self.value
        try:
            raw = self.path.get(effective)
        except PathNotFound:
            raise StatesError(RUNTIME, invalid_path_cause(self.path)) from None
        if not in_range(raw, self.low, self.high, self.integral):
            wanted = describe(self.low, self.high, self.integral)
            raise StatesError(RUNTIME, f"{self.key}Path must select {wanted}: {dumps(raw)}")
        return float(raw)


def _limit(
    spec: dict[str, Any], key: str, where: str, low: int, high: int | None, integral: bool
) -> _Limit:
    one_of(spec, (key, f"{key}Path"), where)
    value = (
        integer(spec, key, where, low, high) if integral else number(spec, key, where, low, high)
    )
    return _Limit(key, value, path(spec, f"{key}Path", where), low, high, integral)


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
        for unsupported in ("ItemReader", "ResultWriter"):
            if unsupported in spec:
                raise DefinitionError(f"Map state {name!r}: {unsupported} is not supported locally")
        self.program = compile_program(processor, f"{name}.ItemProcessor")
        self.items_path = path(spec, "ItemsPath", where) or compile_path("$")
        self.selector = template_field(spec, "ItemSelector", "Parameters")
        self.result_selector = template_field(spec, "ResultSelector")
        self.batcher: dict[str, Any] | None = obj(spec, "ItemBatcher", where)
        self.concurrency = _limit(spec, "MaxConcurrency", where, 0, None, integral=True)
        self.tolerated_count = _limit(spec, "ToleratedFailureCount", where, 0, None, integral=True)
        self.tolerated_percentage = _limit(
            spec,
            "ToleratedFailurePercentage",
            where,
            0,
            MAP_MAX_TOLERATED_FAILURE_PERCENTAGE,
            integral=False,
        )

    def attempt(self, lane: Lane, value: Any, entered: int, retry_count: int) -> Any:
        context = self.context_fn(lane, entered, retry_count)
        effective = self.apply_input_path(value)
        result: Any = self._run_items(lane, effective, context)
        if self.result_selector is not None:
            result = self.result_selector.evaluate(result, context)
        return result

    def _items(self, effective: Any, context: Callable[[], Any]) -> list[Any]:
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

                def item_context(index: int, item: Any) -> Callable[[], Any]:
                    return lambda: {**base, "Map": {"Item": {"Index": index, "Value": item}}}

                items = [
                    selector.evaluate(effective, item_context(i, item))
                    for i, item in enumerate(items)
                ]
            else:
                items = [selector.evaluate(effective, context) for _ in items]
        if self.batcher is not None:
            items = self._batches(effective, items)
        return items

    def _batches(self, effective: Any, items: list[Any]) -> list[Any]:
        spec = self.batcher or {}
        max_items = int(spec.get("MaxItemsPerBatch", 0)) or len(items) or 1
        max_bytes = int(spec.get("MaxInputBytesPerBatch", 0)) or 262_144
        batch_input = spec.get("BatchInput", {})
        batches: list[list[Any]] = []
        size = 0
        for item in items:
            item_size = payload_size(dumps(item)) + 1
            if batches and len(batches[-1]) < max_items and size + item_size <= max_bytes:
                batches[-1].append(item)
                size += item_size
            else:
                batches.append([item])
                size = item_size
        return [{**batch_input, "Items": batch} for batch in batches]

    def _run_items(self, lane: Lane, effective: Any, context: Callable[[], Any]) -> list[Any]:
        items = self._items(effective, context)
        concurrency = int(self.concurrency.resolve(effective, 0))
        lane.emit("MapStateStarted", {"length": len(items)})
        if self.distributed:
            lane.emit("MapRunStarted", {"mapRunArn": f"{self.name}:local"})
        scope = AbortScope(lane.scope)
        name = self.name
        program = self.program

        def iteration(index: int, item: Any) -> Callable[[], Any]:
            def run() -> Any:
                child = lane.child(scope)
                child.emit("MapIterationStarted", {"name": name, "index": index})
                try:
                    output, _ = run_program(program, child, item, dumps(item))
                except StatesError:
                    child.emit("MapIterationFailed", {"name": name, "index": index})
                    raise
                child.emit("MapIterationSucceeded", {"name": name, "index": index})
                return output

            return run

        # MaxConcurrency 0 means "as many as possible": this many threads at once (AWS's inline
        # Map also tops out at 40 concurrent iterations).
        workers = concurrency or INLINE_MAP_MAX_CONCURRENCY
        jobs = [iteration(i, item) for i, item in enumerate(items)]
        try:
            results = run_all(jobs, int(workers), scope, self._tolerance(effective, len(items)))
        except StatesError as exc:
            lane.join()
            if self.distributed:
                lane.emit("MapRunFailed", {"error": exc.error, "cause": exc.cause})
            lane.emit("MapStateFailed", {})  # AWS gives this event no details
            raise
        lane.join()
        if self.distributed:
            lane.emit("MapRunSucceeded", {})
        lane.emit("MapStateSucceeded", {})
        return results

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
