"""The Map state, INLINE and DISTRIBUTED.

DISTRIBUTED runs in-process like INLINE (AWS runs child executions): its iterations still appear
in this history as MapIteration events, bracketed by MapRunStarted/MapRunSucceeded|Failed. Its
failure rule is AWS's: any iteration failure beyond ToleratedFailureCount/Percentage (default 0)
fails the state with States.ExceedToleratedFailureThreshold; an INLINE Map without tolerance
fields fails with the iteration's own error. A tolerated failure leaves `{"Error", "Cause"}` in
the result list at that item's index. ItemReader and ResultWriter (S3) are not supported.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .errors import RUNTIME, TOLERATED, DefinitionError, StatesError
from .fanout import run_all
from .history import AbortScope
from .jsonpath import PathNotFound, compile_path, dumps
from .lane import Lane
from .program import Program, run_program
from .retry import RecoverableState
from .spec import INLINE_MAP_MAX_CONCURRENCY
from .state import (
    invalid_path_cause,
    payload_size,
    template_field,
)

Compile = Callable[[dict[str, Any], str], Program]

# MaxConcurrency 0 means "as many as possible"; this many threads at once (AWS's inline Map
# also tops out at 40 concurrent iterations).


class MapState(RecoverableState):
    kind = "Map"

    def __init__(self, name: str, spec: dict[str, Any], compile_program: Compile) -> None:
        super().__init__(name, spec)
        for unsupported in ("ItemReader", "ResultWriter"):
            if unsupported in spec:
                raise DefinitionError(f"Map state {name!r}: {unsupported} is not supported locally")
        processor = spec.get("ItemProcessor") or spec.get("Iterator")
        if not isinstance(processor, dict):
            raise DefinitionError(f"Map state {name!r} needs an ItemProcessor")
        mode = processor.get("ProcessorConfig", {}).get("Mode", "INLINE")
        if mode not in ("INLINE", "DISTRIBUTED"):
            raise DefinitionError(f"Map state {name!r}: unknown ProcessorConfig.Mode {mode!r}")
        self.distributed = mode == "DISTRIBUTED"
        self.program = compile_program(processor, f"{name}.ItemProcessor")
        self.items_path = compile_path(spec.get("ItemsPath", "$"))
        self.selector = template_field(spec, "ItemSelector", "Parameters")
        self.result_selector = template_field(spec, "ResultSelector")
        self.batcher: dict[str, Any] | None = spec.get("ItemBatcher")
        self.tolerance_given = any(
            k in spec
            for k in (
                "ToleratedFailureCount",
                "ToleratedFailurePercentage",
                "ToleratedFailureCountPath",
                "ToleratedFailurePercentagePath",
            )
        )

    def attempt(self, lane: Lane, value: Any, entered: int, retry_count: int) -> Any:
        context = self.context_fn(lane, entered, retry_count)
        effective = self.apply_input_path(value)
        result: Any = self._run_items(lane, effective, context)
        if self.result_selector is not None:
            result = self.result_selector.evaluate(result, context)
        return result

    def _number(self, effective: Any, key: str, default: float) -> float:
        if f"{key}Path" in self.spec:
            path = compile_path(self.spec[f"{key}Path"])
            try:
                raw = path.get(effective)
            except PathNotFound:
                raise StatesError(RUNTIME, invalid_path_cause(path)) from None
        else:
            raw = self.spec.get(key, default)
        if not isinstance(raw, int | float) or isinstance(raw, bool) or raw < 0:
            raise StatesError(RUNTIME, f"{key} must be a non-negative number: {dumps(raw)}")
        return float(raw)

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
        concurrency = int(self._number(effective, "MaxConcurrency", 0))
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
        if not self.tolerance_given and not self.distributed:
            return None
        count = self._number(effective, "ToleratedFailureCount", 0)
        percentage = self._number(effective, "ToleratedFailurePercentage", 0)
        if percentage > 100:
            raise StatesError(RUNTIME, "ToleratedFailurePercentage must be at most 100")
        has_count = "ToleratedFailureCount" in self.spec or "ToleratedFailureCountPath" in self.spec
        has_pct = any(k.startswith("ToleratedFailurePercentage") for k in self.spec)
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
