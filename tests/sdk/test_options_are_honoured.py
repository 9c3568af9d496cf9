"""An option that is accepted must be honoured: every `@task(...)` keyword reaches the ASL or the
template, or is refused. A silent no-op is the worst defect we can ship."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from orchestrator.options import TaskOptions
from orchestrator.sdk.task import ALIASES

ROOT = Path(__file__).resolve().parents[2] / "orchestrator"
# Where an option takes effect: the planner (ASL), the deploy layer (template), the graph.
DOWNSTREAM = ("planner", "deploy", "graph")
# Option values honoured by refusing them, because they are not compiled (sdk/task.py): the option
# itself must still be read downstream for every other value.
REFUSED_VALUES = {"trigger": "manual_only"}


def downstream_source() -> str:
    files = [p for d in DOWNSTREAM for p in (ROOT / d).rglob("*.py")]
    return "\n".join(p.read_text(encoding="utf-8") for p in files)


def read_downstream(field: str, source: str) -> bool:
    # `options.retries`, `node.options.timeout`, or a property of TaskOptions the planner reads
    # (`error_equals` reads `retry_on`; `node.timeout` reads `timeout`).
    if re.search(rf"options\.{field}\b|node\.{field}\b", source):
        return True
    options_py = (ROOT / "options.py").read_text(encoding="utf-8")
    users = re.findall(
        rf"def (\w+)\(self\)[^:]*:(?:(?!\n    def ).)*self\.{field}\b", options_py, re.S
    )
    return any(re.search(rf"\.{user}\b", source) for user in users)


@pytest.mark.parametrize("field", [f.name for f in dataclasses.fields(TaskOptions)])
def test_every_task_option_is_read_downstream_or_refused(field: str) -> None:
    if field == "name":
        return  # the task's name: node ids, function ids, error messages
    if field in REFUSED_VALUES:
        from orchestrator import task
        from orchestrator.errors import FlowDefinitionError

        with pytest.raises(FlowDefinitionError, match="not compiled"):
            task(**{field: REFUSED_VALUES[field]})(lambda: None)
    assert read_downstream(field, downstream_source()), (
        f"@task({field}=...) is accepted but neither the planner nor the deploy reads it"
    )


def test_aliases_name_real_options() -> None:
    fields = {f.name for f in dataclasses.fields(TaskOptions)}
    assert set(ALIASES.values()) <= fields
