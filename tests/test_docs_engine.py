"""docs/engine.md's Python example runs as written and says what it prints."""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[1] / "docs" / "engine.md"


def test_the_python_example_runs() -> None:
    (block,) = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    namespace: dict[str, object] = {"__name__": "engine_doc"}
    exec(compile(block, str(DOC), "exec"), namespace)  # noqa: S102
    execution = namespace["execution"]
    assert execution.status == "SUCCEEDED"  # type: ignore[attr-defined]
    assert execution.output == {"n": 4}  # type: ignore[attr-defined]
    assert [e.type for e in execution.events][-1] == "ExecutionSucceeded"  # type: ignore[attr-defined]
