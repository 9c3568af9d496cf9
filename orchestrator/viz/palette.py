"""The colour of each run and task state, wherever a state is shown.

One table for the terminal (`orchestrator run`, `orchestrator runs`), the drawings of a run
(`flow.visualize(flow_state=run)`: DOT and Mermaid) and the HTML run report, so a FAILED task
is the same red in the summary table, on the graph and on the timeline. The terminal colour is
a rich style name; the hex shade is picked to read as that same colour on a white page.

States: a task ends SUCCEEDED, FAILED, TIMED_OUT, SKIPPED, TRIGGER_FAILED or NOT_RUN
(orchestrator/local/flowrun.py `TaskRun`); an execution is RUNNING, then SUCCEEDED, FAILED,
TIMED_OUT or ABORTED.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StateColour:
    terminal: str  # a rich style: "green", "dim"
    hex: str  # "#rrggbb"


STATE_COLOURS: dict[str, StateColour] = {
    "SUCCEEDED": StateColour("green", "#1e8e3e"),
    "FAILED": StateColour("red", "#d93025"),
    # Red on a terminal like FAILED; a darker red elsewhere, so the two stay apart on a page.
    "TIMED_OUT": StateColour("red", "#a50e0e"),
    "ABORTED": StateColour("red", "#7a2e1f"),
    "TRIGGER_FAILED": StateColour("magenta", "#b0288f"),
    "SKIPPED": StateColour("yellow", "#e3a008"),
    "RUNNING": StateColour("cyan", "#0b8ea1"),
    "NOT_RUN": StateColour("dim", "#9aa0a6"),
}

#: What `orchestrator run` and `orchestrator runs` style each state with.
TERMINAL_STYLES: dict[str, str] = {state: c.terminal for state, c in STATE_COLOURS.items()}

_UNKNOWN = "#5f6368"  # a state this table does not know (a newer AWS status): neutral grey


def state_hex(state: str) -> str:
    return STATE_COLOURS[state].hex if state in STATE_COLOURS else _UNKNOWN


def state_fill(state: str) -> str:
    """A graph node's fill: the state's shade at half opacity (`#rrggbb80`), as Prefect 1.x's
    `flow.visualize(flow_state=...)` fills nodes, so the black label stays legible."""
    return state_hex(state) + "80"
