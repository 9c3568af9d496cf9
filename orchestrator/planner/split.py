"""A machine over Step Functions' definition size quota, split into child state machines.

"Maximum size of state machine definition: 1 MB" is a hard quota (`spec.MAX_DEFINITION_BYTES`).
A flow whose compiled machine exceeds it is cut along its top-level chain of states into
consecutive chunks, each under the quota and each a machine of its own; the parent machine is a
chain of `startExecution.sync:2` Task states, one per chunk. A chunk's input is the state
document (parameters, constants, the results so far) and its output the document after it, so
the tasks inside run exactly as in the unsplit machine. The parent passes each child's `Output`
on (`.sync:2` gives it as JSON), and a child that failed makes the parent fail with the child's
own Error and Cause: StartExecution's .sync pattern fails the Task with States.TaskFailed and
DescribeExecution's response as Cause, which the parent parses to re-raise what it holds.

A cut is made only where it leaves the machine's behaviour alone: between two top-level states
such that no transition (Next, a Choice rule or Default, a Catch) crosses it except into the
first state after it. A side state (a gate's outcome, a length-mismatch Fail) stays in the chunk
of the state that leads to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from orchestrator.contract import PLACEHOLDER, substitution
from orchestrator.engine.spec import START_EXECUTION_SYNC2
from orchestrator.errors import FlowDefinitionError
from orchestrator.graph import FlowGraph, function_id
from orchestrator.planner.definition_size import measure_both, measure_entries
from orchestrator.records import record

#: A placeholder's text is replaced at deploy time by an ARN: a Lambda function version's
#: (`arn:<partition>:lambda:<region>:<account>:function:<name ≤ 64>:<version>`) or a state
#: machine's (`…:stateMachine:<name ≤ 80>`), at most this many bytes.
ARN_ALLOWANCE = 160
CHILD_FAILED = "Child failed"
#: What a chunk's machine may add to its states' sizes besides its head (Comment, StartAt, the
#: `End` or `Chunk end` state that ends it): a generous bound, so a chunk never overruns.
CHUNK_OVERHEAD = 200
#: Where a chunk's Choice rule or Catch that led into the next chunk goes instead (no task state
#: is named with a space and no suffix, so no state of the flow has this name).
CHUNK_END = "Chunk end"
#: The StartExecution retry the developer guide recommends ("Start workflow executions from a
#: task state": `StepFunctions.ExecutionLimitExceeded` in Retry, so the execution starts).
START_RETRY = {
    "ErrorEquals": ["StepFunctions.ExecutionLimitExceeded"],
    "IntervalSeconds": 1,
    "MaxAttempts": 3,
    "BackoffRate": 2.0,
}


@dataclass(frozen=True)
class Child:
    """One chunk of a split flow: its own state machine."""

    part: str  # "part1", …: names its ASL file (`<flow>.part1.asl.json`) and its resources
    asl: dict[str, Any]
    #: DefinitionSubstitutions key of the child's ARN in the parent (`ETLPart1StateMachineArn`).
    arn_key: str
    #: Written without whitespace (`asl_text`): indented, it would be over the quota.
    compact: bool = False


def definition_bytes(
    asl: dict[str, Any] | str, cap: int | None = None, compact: bool = False
) -> int:
    """The size of `asl` (or its text) as deployed: its committed text (`asl_text`, indented
    unless `compact`), each placeholder counted as a full ARN. With `cap`, any size over it may
    come back as some figure over it."""
    if isinstance(asl, str):
        return len(asl.encode()) + ARN_ALLOWANCE * len(PLACEHOLDER.findall(asl))
    # The committed text's size, counted without writing it (definition_size.py).
    indented, compact_bytes, found = measure_both(asl, PLACEHOLDER, cap)
    return _deployed(compact_bytes if compact else indented, found)


def _deployed(text_bytes: int, placeholders: int) -> int:
    return text_bytes + 1 + ARN_ALLOWANCE * placeholders  # + asl_text's final newline


@record
class StateSizes:
    """Each top-level state's size as a machine of its own state alone (`{"States": {name:
    state}}`, `definition_bytes`), indented and compact, in the machine's order."""

    indented: list[int]
    compact: list[int]


def state_sizes(asl: dict[str, Any], cap: int | None = None) -> StateSizes:
    """Each top-level state's sizes: what a chunk of the split adds for it. With `cap`, a size
    over it may come back as any figure over it."""
    measured = measure_entries("States", asl["States"], PLACEHOLDER, cap)
    return StateSizes(
        [_deployed(indented, found) for indented, _, found in measured],
        [_deployed(compact, found) for _, compact, found in measured],
    )


def machine_bytes(asl: dict[str, Any], sizes: list[int], compact: bool = False) -> int:
    """`definition_bytes(asl, compact=compact)` from its states' sizes (`state_sizes`, in the
    same form), without measuring them again: a state's text is the same at the same depth,
    inside its own wrapper or the whole machine. Over any state's cap when one of `sizes` was
    over it."""

    def size(value: dict[str, Any]) -> int:
        return definition_bytes(value, compact=compact)

    base = size({**asl, "States": {"a": 0}})
    # What one state's wrapper adds besides the state (less the comma between two states).
    wrapper = 2 * size({"States": {"a": 0}}) - size({"States": {"a": 0, "b": 0}})
    return base - size({"States": {"a": 0}}) + sum(sizes) - wrapper * (len(sizes) - 1)


def _chunk_overhead(asl: dict[str, Any], compact: bool) -> int:
    """What a chunk's machine holds besides its states, at most: the machine's own fields
    (`CHUNK_OVERHEAD` for what a chunk changes in them and adds)."""
    head = {k: v for k, v in asl.items() if k != "States"}
    return definition_bytes(head, compact=compact) + CHUNK_OVERHEAD


def _size(measured: int, limit: int) -> str:
    """A size measured up to `limit` (`definition_bytes(…, cap=limit)`), as the error says it."""
    return f"over {limit:,} B" if measured > limit else f"{measured:,} B"


def child_arn_key(graph: FlowGraph, part: str) -> str:
    return f"{function_id(graph.resource_name)}{part.capitalize()}StateMachineArn"


def split_machine(
    graph: FlowGraph, asl: dict[str, Any], limit: int, sizes: StateSizes | None = None
) -> tuple[dict[str, Any], tuple[Child, ...]]:
    """The parent machine of `asl`, over `limit` bytes even compact, and its children (each
    under it). `sizes`: its `state_sizes` capped at `limit`, when already measured.

    The chunks are cut by the states' compact sizes (fewer children: each one more execution,
    with its own events, to run); a child is written indented when that fits too."""
    states: dict[str, Any] = asl["States"]
    sizes = state_sizes(asl, limit) if sizes is None else sizes
    chunks = _chunks(graph, asl, limit, sizes.compact)
    head = {k: v for k, v in asl.items() if k not in ("StartAt", "States", "TimeoutSeconds")}
    size_of = dict(zip(states, sizes.indented, strict=True))
    indented_overhead = _chunk_overhead(asl, compact=False)
    children = []
    for i, names in enumerate(chunks, 1):
        part = f"part{i}"
        entry_after = chunks[i][0] if i < len(chunks) else None
        child_states = {n: _end_at(states[n], entry_after) for n in names}
        # Only a state `_end_at` rewrote can lead to CHUNK_END (no state of the flow is named so).
        ended = (st for n, st in child_states.items() if st is not states[n])
        if any(CHUNK_END in _targets(st) for st in ended):
            child_states[CHUNK_END] = {"Type": "Succeed"}
        child = {**head, "Comment": f"{asl.get('Comment', '')} ({part} of {len(chunks)})"}
        child.update({"StartAt": names[0], "States": child_states})
        indented = indented_overhead + sum(size_of[n] for n in names)  # (at most)
        children.append(Child(part, child, child_arn_key(graph, part), indented > limit))
    return _parent(asl, children), tuple(children)


def _parent(asl: dict[str, Any], children: list[Child]) -> dict[str, Any]:
    parent: dict[str, Any] = {k: asl[k] for k in ("Comment", "QueryLanguage") if k in asl}
    if "TimeoutSeconds" in asl:  # the whole run's bound stays on the whole run
        parent["TimeoutSeconds"] = asl["TimeoutSeconds"]
    states: dict[str, Any] = {}
    for i, child in enumerate(children):
        task: dict[str, Any] = {
            "Type": "Task",
            "Resource": START_EXECUTION_SYNC2,
            "Parameters": {"StateMachineArn": substitution(child.arn_key), "Input.$": "$"},
            "OutputPath": "$.Output",
            "Retry": [dict(START_RETRY)],
            "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": CHILD_FAILED}],
        }
        if i + 1 < len(children):
            task["Next"] = children[i + 1].part.capitalize()
        else:
            task["End"] = True
        states[child.part.capitalize()] = task
    # The Catch's result is {"Error": "States.TaskFailed", "Cause": <DescribeExecution JSON>}.
    states[CHILD_FAILED] = {
        "Type": "Pass",
        "Parameters": {"child.$": "States.StringToJson($.Cause)"},
        "Next": "Child error?",
    }
    present = {"Variable": "$.child.Error", "IsPresent": True}
    states["Child error?"] = {
        "Type": "Choice",
        "Choices": [
            {
                "And": [present, {"Variable": "$.child.Cause", "IsPresent": True}],
                "Next": "Child error and cause",
            },
            {**present, "Next": "Child error only"},
        ],
        "Default": "Child stopped",  # timed out or aborted: no Error of its own
    }
    states["Child error and cause"] = {
        "Type": "Fail",
        "ErrorPath": "$.child.Error",
        "CausePath": "$.child.Cause",
    }
    states["Child error only"] = {"Type": "Fail", "ErrorPath": "$.child.Error"}
    states["Child stopped"] = {
        "Type": "Fail",
        "Error": "States.TaskFailed",
        "CausePath": "States.JsonToString($.child)",
    }
    parent.update({"StartAt": children[0].part.capitalize(), "States": states})
    return parent


#: What to do about a state too large for a child machine of its own, by its type.
_OVERSIZE_FIX: dict[str | None, str] = {
    # A DAG that is not series-parallel nests Parallel states about a level per layer of tasks,
    # all under one top-level Parallel: a split cuts only between top-level states.
    "Parallel": "split the flow into several flows (every task under one Parallel state must "
    "stay in one machine), or give its tasks fewer cross-dependencies so that it is closer to "
    "series-parallel (`orchestrator plan` lists the dependencies the planner added)",
    "Map": "map over fewer, larger items (a Distributed Map keeps each item out of the "
    "definition), or split the flow into several flows",
    None: "split the flow into several flows",
}


def _targets(state: dict[str, Any]) -> list[str]:
    out = [state["Next"]] if "Next" in state else []
    if "Default" in state:
        out.append(state["Default"])
    out.extend(rule["Next"] for rule in state.get("Choices", ()))
    out.extend(rule["Next"] for rule in state.get("Catch", ()))
    return out


def _end_at(state: dict[str, Any], entry: str | None) -> dict[str, Any]:
    """The state as it stands in its chunk: a transition into the next chunk's entry ends the
    chunk instead (`End`, or a Choice rule's or Catch's move to a Succeed state)."""
    if entry is None or entry not in _targets(state):
        return state
    out = dict(state)
    if out.get("Next") == entry:
        del out["Next"]
        out["End"] = True
    if out.get("Default") == entry:
        out["Default"] = CHUNK_END
    for key in ("Choices", "Catch"):
        if key in out:
            out[key] = [{**r, "Next": CHUNK_END} if r["Next"] == entry else r for r in out[key]]
    return out


def _chunks(
    graph: FlowGraph, asl: dict[str, Any], limit: int, state_sizes: list[int]
) -> list[list[str]]:
    """The top-level states in consecutive chunks, each under `limit` as its own machine
    written compact (`state_sizes`: each state's compact size, in order, measured up to
    `limit`)."""
    states: dict[str, Any] = asl["States"]
    names = list(states)
    # The main chain: link() emits the sequence's states first, in order, then side states.
    main = [asl["StartAt"]]
    index = {n: i for i, n in enumerate(names)}
    while True:
        state, i = states[main[-1]], index[main[-1]]
        following = names[i + 1] if i + 1 < len(names) else None
        if "Next" in state:
            nxt = state["Next"]
        elif (
            following is not None
            and state.get("Type") == "Choice"
            and (following in _targets(state))
        ):
            nxt = following
        else:
            break
        main.append(nxt)
    pos = {n: i for i, n in enumerate(main)}
    side = [n for n in names if n not in pos]
    leading: dict[str, list[str]] = {n: [] for n in side}
    targets = {n: _targets(states[n]) for n in names}
    for r in names:
        for t in targets[r]:
            if t in leading and t != r:
                leading[t].append(r)
    for _ in side:  # a side state sits with the first state leading to it
        for n in side:
            refs = [pos[r] for r in leading[n] if r in pos]
            if refs:
                pos[n] = min(refs) if n not in pos else min(pos[n], *refs)
    # Cut p (1 ≤ p < len(main)) puts main[:p] before it: invalid when a transition crosses it
    # other than into main[p].
    bad = [0] * (len(main) + 2)
    for u in names:
        for v in targets[u]:
            a, b = pos[u], pos[v]
            lo, hi = (a + 1, b - 1 if main[b] == v else b) if a < b else (b + 1, a)
            if lo <= hi:
                bad[lo] += 1
                bad[hi + 1] -= 1
    valid, running = [], 0
    for p in range(1, len(main)):
        running += bad[p]
        if running == 0:
            valid.append(p)
    members: dict[int, list[str]] = {}
    for n in names:
        members.setdefault(pos[n], []).append(n)
    # Each state measured at the depth it has in a machine (inside "States").
    size_of = dict(zip(names, state_sizes, strict=True))
    sizes = [sum(size_of[n] for n in members[p]) for p in range(len(main))]
    overhead = _chunk_overhead(asl, compact=True)
    bounds = [0, *valid, len(main)]
    chunks: list[list[str]] = []
    start, total = 0, overhead
    for lo, hi in zip(bounds, bounds[1:], strict=False):
        segment = sum(sizes[lo:hi])
        if overhead + segment > limit:
            biggest = max(range(lo, hi), key=sizes.__getitem__)
            kind = states[main[biggest]].get("Type")
            raise FlowDefinitionError(
                f"its state machine is over Step Functions' {limit:,}-byte definition limit even "
                f"without whitespace, and state {main[biggest]!r} ({kind}, "
                f"{_size(sizes[biggest], limit)} with what must stay beside it) cannot be split "
                "off into a child machine of its own",
                flow=graph.name,
                fix=_OVERSIZE_FIX.get(kind, _OVERSIZE_FIX[None]),
            )
        if total + segment > limit and lo > start:
            chunks.append([n for p in range(start, lo) for n in members[p]])
            start, total = lo, overhead
        total += segment
    chunks.append([n for p in range(start, len(main)) for n in members[p]])
    return chunks
