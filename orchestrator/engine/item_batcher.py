"""A Distributed Map's ItemBatcher: each child execution gets a batch of items, not one.

AWS developer guide, "ItemBatcher (Map)", and the ASL specification ("Batching Items"): at least
one of MaxItemsPerBatch (a positive integer) and MaxInputBytesPerBatch (up to 256 KiB) is given,
each either as a value or as a `...Path` into the Map's effective input. The selected items (after
ItemSelector, whether they came from ItemsPath or an ItemReader) are cut into batches in order;
a batch is closed when it holds MaxItemsPerBatch items or the next item would take the child's
input past the byte limit (256 KiB when only a count is given). `BatchInput`, a payload template
evaluated once on the effective input, rides along unchanged: each child's input is
`{"BatchInput": {...}, "Items": [...]}` (the guide's example), or `{"Items": [...]}` without it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import DefinitionError
from .fields import obj, refuse_unknown
from .jsonpath import dumps
from .limit import Limit, limit
from .spec import ITEM_BATCHER_MAX_INPUT_BYTES
from .state import payload_size
from .template import Template

_FIELDS = frozenset(
    {
        "MaxItemsPerBatch",
        "MaxItemsPerBatchPath",
        "MaxInputBytesPerBatch",
        "MaxInputBytesPerBatchPath",
        "BatchInput",
    }
)


@dataclass(frozen=True)
class ItemBatcher:
    max_items: Limit
    max_bytes: Limit
    batch_input: Template | None

    def batches(
        self, items: list[Any], effective: Any, context: Callable[[], Any]
    ) -> list[dict[str, Any]]:
        """The child inputs, in item order."""
        most = int(self.max_items.resolve(effective, 0)) or len(items)
        budget = int(self.max_bytes.resolve(effective, ITEM_BATCHER_MAX_INPUT_BYTES))
        shared = None if self.batch_input is None else self.batch_input.evaluate(effective, context)

        def envelope(batch: list[Any]) -> dict[str, Any]:
            return {"Items": batch} if shared is None else {"BatchInput": shared, "Items": batch}

        empty = payload_size(dumps(envelope([])))  # `{"BatchInput":...,"Items":[]}`
        out: list[dict[str, Any]] = []
        batch: list[Any] = []
        size = empty
        for item in items:
            item_size = payload_size(dumps(item))
            # Each item after the first adds a comma. An item too big even alone still gets a
            # batch of its own.
            grown = size + item_size + (1 if batch else 0)
            if batch and (len(batch) >= most or grown > budget):
                out.append(envelope(batch))
                batch, size = [], empty
                grown = size + item_size
            batch.append(item)
            size = grown
        if batch:
            out.append(envelope(batch))
        return out


def item_batcher(spec: dict[str, Any], where: str) -> ItemBatcher | None:
    """The Map's ItemBatcher field, checked; None without one."""
    config = obj(spec, "ItemBatcher", where)
    if config is None:
        return None
    at = f"{where} ItemBatcher"
    refuse_unknown(config, _FIELDS, at)
    max_items = limit(config, "MaxItemsPerBatch", at, 1, None, integral=True)
    max_bytes = limit(
        config, "MaxInputBytesPerBatch", at, 1, ITEM_BATCHER_MAX_INPUT_BYTES, integral=True
    )
    if not max_items.given and not max_bytes.given:
        raise DefinitionError(
            f"{at}: give at least one of MaxItemsPerBatch, MaxItemsPerBatchPath, "
            f"MaxInputBytesPerBatch, MaxInputBytesPerBatchPath"
        )
    batch_input = obj(config, "BatchInput", at)
    template = None
    if batch_input is not None:
        try:
            template = Template(batch_input)
        except DefinitionError as exc:
            raise DefinitionError(f"{at}.BatchInput: {exc}") from None
    return ItemBatcher(max_items, max_bytes, template)
