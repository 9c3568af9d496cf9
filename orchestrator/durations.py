"""Recorded task durations: the committed `durations.json` the planner weighs tasks by.

When a flow is not series-parallel the planner adds synchronisation, and to choose it well it
needs to know how long each task takes: `@task(estimate=…)` when the task says, else the
duration recorded from past runs, else 1 s. Recorded durations live in one committed file at the
project root, written by `orchestrator durations record` from the local run store or from a
stage's Step Functions histories — never read from the run store at build time: the artifacts
`orchestrator build` commits must come out the same on every clone (CI has no run store), and
what runs locally (`flow.run()`, `orchestrator run`) must be what deploys, so every caller of the
planner reads this file, through `weights_of`, and nothing else.

The file, keyed by flow (its display name) and task (its id in the flow, as `orchestrator plan`
and `orchestrator runs` name it):

    {
      "about": "…",
      "flows": {
        "ETL": {"recorded": "2026-11-30", "from": "local runs", "runs": 20,
                "tasks": {"extract": 12.5, "clean": 0.84}}
      }
    }

A task the flow no longer has (renamed or removed since) is ignored with a note; a file that does
not parse is one error naming it and the fix.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestrator.errors import PathError
from orchestrator.records import record

if TYPE_CHECKING:
    from orchestrator.graph import FlowGraph

DURATIONS_FILE = "durations.json"
RECORD_COMMAND = "orchestrator durations record"
#: How many of a flow's latest successful runs a recording reads by default.
DEFAULT_RUNS = 20
#: Durations are kept to the millisecond (Step Functions' history timestamps' resolution), and a
#: task is never recorded as taking no time (the planner divides by the critical path).
RESOLUTION = 0.001
ABOUT = (
    "Typical task durations in seconds, by flow and task: the median of each task's durations "
    f"in the flow's latest successful runs, written by `{RECORD_COMMAND}`. The planner weighs "
    "a task by its estimate=, else by its duration here, else 1 s, when it must add "
    "synchronisation. Committed: `orchestrator build` reads this file, never the run store."
)
_FIX = (
    f"correct it, re-record it with `{RECORD_COMMAND}`, or delete it (tasks then weigh their "
    "estimate=, else 1 s)"
)
_FLOW_KEYS = ("recorded", "from", "runs", "tasks")


class StaleDurations(UserWarning):
    """durations.json names a task the flow no longer has: its duration is ignored."""


@record(frozen=True)
class FlowDurations:
    """One flow's recording: when, from where, over how many runs, and each task's seconds."""

    recorded: str  # ISO date (UTC)
    source: str  # "local runs" or "stage prod"
    runs: int
    tasks: dict[str, float]

    def as_json(self) -> dict[str, Any]:
        return {
            "recorded": self.recorded,
            "from": self.source,
            "runs": self.runs,
            "tasks": dict(sorted(self.tasks.items())),
        }


@record(frozen=True)
class RecordedDurations:
    """The project's durations.json, read."""

    path: Path
    flows: dict[str, FlowDurations]


def durations_path(root: Path) -> Path:
    return root / DURATIONS_FILE


def read_durations(root: Path) -> RecordedDurations | None:
    """The durations.json at the project root `root`; None when there is none."""
    path = durations_path(root)
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    except OSError as err:
        raise PathError(path, f"cannot be read ({err.strerror})", fix=_FIX) from None
    return _parse(path.resolve(), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _parse(path: Path, _mtime: int, _size: int) -> RecordedDurations:
    """The file, validated whole: each mistake is reported with where it is."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        raise PathError(path, f"cannot be read ({err})", fix=_FIX) from None
    except ValueError as err:
        raise PathError(path, f"is not valid JSON ({err})", fix=_FIX) from None
    if not isinstance(data, dict) or not isinstance(data.get("flows"), dict):
        raise PathError(path, 'is not an object with a "flows" object', fix=_FIX)
    unknown = sorted(set(data) - {"about", "flows"})
    if unknown:
        raise PathError(path, f"has an unknown key {unknown[0]!r}", fix=_FIX)
    return RecordedDurations(
        path, {name: _flow(path, name, entry) for name, entry in data["flows"].items()}
    )


def _flow(path: Path, name: str, entry: Any) -> FlowDurations:
    where = f"flows.{name}"
    if not isinstance(entry, dict):
        raise PathError(path, f"{where} is not an object", fix=_FIX)
    wrong = sorted(set(entry) ^ set(_FLOW_KEYS))
    if wrong:
        problem = "has an unknown key" if wrong[0] in entry else "lacks the key"
        raise PathError(path, f"{where} {problem} {wrong[0]!r}", fix=_FIX)
    recorded, source, runs, tasks = (entry[k] for k in _FLOW_KEYS)
    try:
        date.fromisoformat(recorded)
    except (TypeError, ValueError):
        raise PathError(
            path, f"{where}.recorded = {recorded!r} is not a date (YYYY-MM-DD)", fix=_FIX
        ) from None
    if not isinstance(source, str):
        raise PathError(path, f"{where}.from = {source!r} is not a string", fix=_FIX)
    if isinstance(runs, bool) or not isinstance(runs, int) or runs < 1:
        raise PathError(path, f"{where}.runs = {runs!r} is not a positive integer", fix=_FIX)
    if not isinstance(tasks, dict):
        raise PathError(path, f"{where}.tasks is not an object", fix=_FIX)
    for task, seconds in tasks.items():
        if (
            isinstance(seconds, bool)
            or not isinstance(seconds, int | float)
            or not math.isfinite(seconds)
            or seconds <= 0
        ):
            raise PathError(
                path,
                f"{where}.tasks.{task} = {seconds!r} is not a positive number of seconds",
                fix=_FIX,
            )
    return FlowDurations(recorded, source, runs, {t: float(s) for t, s in tasks.items()})


def write_durations(root: Path, flows: Mapping[str, FlowDurations]) -> Path:
    """Write durations.json with `flows` (sorted, so that a re-recording diffs line by line)."""
    path = durations_path(root)
    document = {
        "about": ABOUT,
        "flows": {name: flows[name].as_json() for name in sorted(flows)},
    }
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    try:
        path.write_text(text, encoding="utf-8", newline="\n")
    except OSError as err:
        raise PathError(path, f"cannot be written ({err.strerror})") from None
    return path


def typical(samples: Sequence[float]) -> float:
    """A task's typical duration: the median of its samples, to the millisecond.

    The median, not the mean: a few runs are enough, and one slow run — a cold start, a retry
    after a throttle, a busy laptop — does not move it. The planner compares typical runs; the
    tail is what timeouts are for.
    """
    import statistics  # only recording needs it: ~10 ms of a first plan's start-up otherwise

    return max(RESOLUTION, round(statistics.median(samples), 3))


@record(frozen=True)
class Weights:
    """What the planner weighs a flow's tasks by, and where each weight came from."""

    #: Node id → recorded seconds, for the tasks without `estimate=` (what `plan_flow` takes).
    durations: dict[str, float] = field(default_factory=dict)
    estimated: int = 0
    defaulted: int = 0
    #: The flow's entry in durations.json, when it has one.
    recording: FlowDurations | None = None
    file: str = DURATIONS_FILE
    #: Tasks of the recording the flow no longer has.
    ignored: tuple[str, ...] = ()

    def summary(self) -> str:
        """One line: `weights: 3 tasks from estimate=, 5 recorded (durations.json, 2026-11-30),
        2 default 1 s` (the groups that are not empty)."""
        groups = []
        if self.estimated:
            groups.append(f"{self.estimated} from estimate=")
        if self.durations:
            assert self.recording is not None
            groups.append(
                f"{len(self.durations)} recorded ({self.file}, {self.recording.recorded})"
            )
        if self.defaulted:
            groups.append(f"{self.defaulted} default 1 s")
        first, _, rest = ", ".join(groups).partition(" ")  # "3", "from estimate=, 5 …"
        return f"weights: {first} {'task' if first == '1' else 'tasks'} {rest}"


def weights_of(graph: FlowGraph, root: Path | None) -> Weights:
    """The weights of `graph`'s tasks in the project at `root` (None: no project, no file):
    `estimate=` first, then the project's durations.json, then 1 s.

    Every caller of the planner — `orchestrator build` and `plan`, `flow.run()` — takes its
    durations from here, so a local run compiles the machine that deploys. A recorded task the
    flow no longer has is ignored, with a `StaleDurations` warning naming it.
    """
    recorded = read_durations(root) if root is not None else None
    recording = recorded.flows.get(graph.name) if recorded is not None else None
    known = recording.tasks if recording is not None else {}
    durations: dict[str, float] = {}
    estimated = 0
    for node in graph.nodes:
        if node.options.estimate:  # the planner's own precedence (planner._plan)
            estimated += 1
        elif node.id in known:
            durations[node.id] = known[node.id]
    ids = {n.id for n in graph.nodes}
    ignored = tuple(sorted(t for t in known if t not in ids))
    if ignored and recording is not None:
        names = ", ".join(repr(t) for t in ignored)
        many = len(ignored) > 1
        warnings.warn(
            f"{DURATIONS_FILE}: flow {graph.name!r} has no task {names} any more (renamed or "
            f"removed since {'they were' if many else 'it was'} recorded on "
            f"{recording.recorded}): {'their durations are' if many else 'its duration is'} "
            f"ignored; `{RECORD_COMMAND}` records the flow again",
            StaleDurations,
            stacklevel=2,
        )
    return Weights(
        durations=durations,
        estimated=estimated,
        defaulted=len(graph.nodes) - estimated - len(durations),
        recording=recording,
        ignored=ignored,
    )


def unknown_flows(recorded: RecordedDurations | None, flows: Sequence[str]) -> list[str]:
    """The flows durations.json records that are not among `flows` (the project's)."""
    if recorded is None:
        return []
    return sorted(set(recorded.flows) - set(flows))
