"""The README's examples run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)


def test_the_ten_line_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "readme_example"}
    exec(compile(python_blocks()[0], "README.md", "exec"), namespace)  # noqa: S102
    run = namespace["run"]
    assert run.state == "SUCCEEDED"  # type: ignore[attr-defined]
    assert run.result == 3 * len("shard-0") * 2  # type: ignore[attr-defined]
    assert "flowchart TD" in (tmp_path / "shards.mmd").read_text()
