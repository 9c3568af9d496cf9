"""Random flows for property-based tests: random DAG shapes, maps and task options.

`random_flows()` draws a `GeneratedFlow`: a Flow built through the public SDK, plus the result
each task run must produce, computed by plain Python in dependency order (the oracle that engine
and moto runs are compared against).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from orchestrator import Flow, Parameter, exponential_backoff, task, unmapped


@dataclass
class GeneratedFlow:
    flow: Flow
    expected: dict[str, Any] = field(default_factory=dict)  # node id -> result
    deps: dict[str, list[str]] = field(default_factory=dict)


def _combine(name: str) -> Any:
    def combine(x: Any = None, y: Any = None) -> Any:
        return {"task": name, "x": x, "y": y}

    combine.__name__ = combine.__qualname__ = name
    return combine


def _item(name: str) -> Any:
    def item(v: Any, k: Any = None) -> Any:
        return [name, v, k]

    item.__name__ = item.__qualname__ = name
    return item


def _lister(name: str) -> Any:
    def lister(x: Any = None, n: int = 3) -> list[int]:
        return list(range(n))

    lister.__name__ = lister.__qualname__ = name
    return lister


@st.composite
def task_options(draw: st.DrawFn) -> dict[str, Any]:
    opts: dict[str, Any] = {}
    if draw(st.booleans()):
        opts["retries"] = draw(st.integers(0, 5))
        kind = draw(st.sampled_from(["int", "backoff", "none"]))
        if kind == "int":
            opts["retry_delay"] = draw(st.integers(1, 30))
        elif kind == "backoff":
            base = draw(st.integers(1, 10))
            opts["retry_delay"] = exponential_backoff(
                base,
                max_delay=draw(st.one_of(st.none(), st.integers(base, 300))),
                jitter=draw(st.booleans()),
            )
        if opts["retries"] and draw(st.booleans()):
            opts["retry_on"] = draw(
                st.lists(st.sampled_from([ValueError, KeyError, "PaymentFailed"]), min_size=1)
            )
    if draw(st.booleans()):
        opts["timeout"] = draw(st.integers(1, 900))
    if draw(st.booleans()):
        opts["memory"] = draw(st.integers(128, 10240))
    if draw(st.integers(0, 3)) == 0:
        opts["distributed"] = True  # only changes mapped calls
    return opts


@st.composite
def random_flows(draw: st.DrawFn, max_tasks: int = 9) -> GeneratedFlow:
    n = draw(st.integers(1, max_tasks))
    gen = GeneratedFlow(flow=Flow(f"random-{n}"))
    refs: list[tuple[str, Any, bool]] = []  # (node id, ref, returns a list)
    with gen.flow:
        param = Parameter("p", default=draw(st.integers(0, 5)))
        for i in range(n):
            kind = draw(st.sampled_from(["combine", "combine", "lister", "map"]))
            opts = draw(task_options())
            name = f"t{i}_{kind}"
            lists = [r for r in refs if r[2]]
            if kind == "map" and lists:
                source = draw(st.sampled_from(lists))
                const = draw(st.one_of(st.none(), st.integers(0, 9), st.just("param")))
                k: Any = param if const == "param" else const
                t = task(**opts)(_item(name))
                ref = t.map(source[1], unmapped(k))
                refs.append((name, ref, True))
                gen.deps[name] = [source[0]]
                continue
            if kind == "lister":
                t = task(**opts)(_lister(name))
                upstream = draw(st.lists(st.sampled_from(refs), max_size=2)) if refs else []
                x = upstream[0][1] if upstream else param
                # An empty list too: maps over it, and Distributed Maps over their exports of no
                # item (tests/planner/test_empty_exports.py), return no item.
                ref = t(x, n=draw(st.integers(0, 4)))
                refs.append((name, ref, True))
                gen.deps[name] = [u[0] for u in upstream[:1]]
                continue
            t = task(**opts)(_combine(name))
            chosen = (
                draw(st.lists(st.sampled_from(refs), max_size=2, unique_by=lambda r: r[0]))
                if refs
                else []
            )
            args = [c[1] for c in chosen] or [draw(st.sampled_from([None, 1, "s", param]))]
            ref = t(*args)
            deps = [c[0] for c in chosen]
            if refs and draw(st.booleans()):
                extra = draw(st.sampled_from(refs))
                ref.set_upstream(extra[1])
                deps.append(extra[0])
            refs.append((name, ref, False))
            gen.deps[name] = deps
    return gen
