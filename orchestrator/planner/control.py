"""Triggers, skips, `case` and reference tasks, compiled onto Catch, Choice and Pass states.

A fail-fast flow — every task on the default trigger, no `case`, no reference tasks set —
compiles to no state of this module: the first failure ends the run (as Step Functions does
anyway), and a SKIP travels as a marker in the data that each downstream task's handler sees
(runtime/upstream.py). Otherwise the flow is *controlled*, and only what needs it gains states:

- **Catch** on the tasks whose failure something observes: the upstream tasks of a task with a
  non-default trigger, and all of their ancestors (an ancestor's failure must become a
  TRIGGER_FAILED record downstream rather than end the run); with reference tasks set, also the
  tasks no reference task depends on (their failure cannot decide the run). The Catch writes the
  failure marker where the result would be (`$.results.<id>.value`); a mapped task catches per
  item, so a mapped upstream's children count one by one.
- **A gate** (Choice, plus Pass states for the outcomes) before each task with a non-default
  trigger or inside a `case`, and before each task whose result path or Map items the state
  machine reads from another task (a marker there would break the path). The gate applies, in
  Prefect 1.x's order (`TaskRunner.check_upstream_skipped`, then `check_task_trigger`): the
  case conditions, `skip_on_upstream_skip`, then the trigger. A trigger over plain upstreams is a
  boolean rule on the markers' presence; one that counts (`some_*`) or sees a mapped upstream
  first counts the upstream states with three Pass states (JSONPath filters, `ArrayLength`).
- **The run's final state**: a Choice over the reference tasks (default: the terminal tasks)
  that may hold a failure marker; the first one that failed (or trigger-failed) ends the run in
  a Fail state carrying its Error and Cause — for a trigger failure, the upstream failure that
  caused it, so a saga whose charge was declined still ends with `PaymentFailed`.
"""

from __future__ import annotations

import math
from dataclasses import field
from typing import Any

from orchestrator.contract import (
    FAILED_KEY,
    SKIPPED_KEY,
    TRIGGER_FAILED_ERROR,
    TRIGGER_FAILED_KEY,
)
from orchestrator.errors import FlowDefinitionError
from orchestrator.graph import (
    CaseCondition,
    FlowGraph,
    ParamInput,
    ResultInput,
    TaskNode,
    references,
)
from orchestrator.options import DEFAULT_TRIGGER
from orchestrator.planner.paths import param_path, path, result_path
from orchestrator.planner.steps import Sequence, Step, after
from orchestrator.records import record

#: The scratch key of the state document where a gate counts upstream states.
GATE = "$.gate"
#: An item every counting filter matches (a filter matching nothing is a runtime error in AWS),
#: put into the document by the Start state of a flow that counts (`ControlPlan.start`).
SENTINEL_KEY = "sentinel"
SENTINEL_VALUE = {FAILED_KEY: True, SKIPPED_KEY: True}
SENTINEL = f"$.{SENTINEL_KEY}"
COUNTING_TRIGGERS = frozenset({"some_successful", "some_failed"})


@record
class ControlPlan:
    """Which tasks gain a Catch or a gate, and which reference tasks the end checks."""

    controlled: bool = False
    caught: set[str] = field(default_factory=set)
    gated: set[str] = field(default_factory=set)
    #: Tasks whose result the machine reads itself, and whose readers are all gated.
    marker_safe: set[str] = field(default_factory=set)
    final: list[str] = field(default_factory=list)

    def start(self, graph: FlowGraph) -> dict[str, Any]:
        """What the Start state adds to the document: the counting sentinel, when needed."""
        nodes = {n.id: n for n in graph.nodes}
        counting = any(counts(nodes[g], nodes) for g in self.gated)
        if counting or any(nodes[r].is_map for r in self.final):
            return {SENTINEL_KEY: SENTINEL_VALUE}
        return {}

    def seeds(self, graph: FlowGraph) -> dict[str, Any]:
        """`$.results` at the start: an empty value object where a plain task's Catch writes."""
        return {n.id: {"value": {}} for n in graph.nodes if n.id in self.caught and not n.is_map}


def plan_control(graph: FlowGraph) -> ControlPlan:
    nodes = {n.id: n for n in graph.nodes}
    triggered = [n for n in graph.nodes if n.options.trigger != DEFAULT_TRIGGER]
    in_case = [n for n in graph.nodes if n.cases]
    if not triggered and not in_case and graph.reference_tasks is None:
        return ControlPlan()
    plan = ControlPlan(controlled=True)
    ancestors = _ancestors(graph)
    for node in triggered:
        for dep in _trigger_upstream(node):
            plan.caught |= {dep} | ancestors[dep]
    if graph.reference_tasks is not None:
        decisive = set(graph.reference_tasks).union(*(ancestors[r] for r in graph.reference_tasks))
        plan.caught |= {n.id for n in graph.nodes if n.id not in decisive}
    readers = {n.id: _machine_read(n) for n in graph.nodes}
    plan.gated = {n.id for n in triggered} | {n.id for n in in_case}
    plan.gated |= {nid for nid, read in readers.items() if read}
    plan.marker_safe = set().union(*readers.values())
    may_mark = plan.caught | plan.gated
    descendants = _descendants(graph)
    may_mark |= set().union(*(descendants[n] for n in list(may_mark)))
    plan.final = [r for r in graph.reference_ids() if r in may_mark]
    for node in triggered:
        _check_trigger(graph, node, nodes)
    return plan


def _trigger_upstream(node: TaskNode) -> list[str]:
    """The upstream tasks a trigger judges: data inputs and explicit edges (a case condition's
    task is judged by the case, unless the task also reads it)."""
    return list(dict.fromkeys([*node.data_dependencies(), *node.upstream]))


def _machine_read(node: TaskNode) -> set[str]:
    """Tasks whose result this node's state reads with a path: Map items, a part of a result."""
    read = {v.node for v in node.mapped.values() if isinstance(v, ResultInput)}
    for value in (*node.inputs.values(), *node.mapped.values()):
        read |= {r.node for r in references(value) if isinstance(r, ResultInput) and r.path}
    return read


def _ancestors(graph: FlowGraph) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for node in graph.nodes:  # nodes are in call order: dependencies come first
        mine: set[str] = set()
        for dep in node.dependencies():
            mine |= {dep} | out.get(dep, set())
        out[node.id] = mine
    return out


def _descendants(graph: FlowGraph) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {n.id: set() for n in graph.nodes}
    for node in reversed(graph.nodes):
        for dep in node.dependencies():
            out[dep] |= {node.id} | out[node.id]
    return out


def counts(node: TaskNode, nodes: dict[str, TaskNode]) -> bool:
    """Whether the node's gate counts upstream states (some_*, or a mapped upstream)."""
    if node.options.trigger == DEFAULT_TRIGGER:
        return False
    return node.options.trigger in COUNTING_TRIGGERS or any(
        nodes[u].is_map for u in _trigger_upstream(node)
    )


def _check_trigger(graph: FlowGraph, node: TaskNode, nodes: dict[str, TaskNode]) -> None:
    name = node.options.trigger
    if name not in COUNTING_TRIGGERS:
        return
    mapped = [u for u in _trigger_upstream(node) if nodes[u].is_map]
    fractions = [b for b in node.options.trigger_bounds if b is not None and b < 1]
    if mapped and fractions:
        raise FlowDefinitionError(
            f"{name}(...) with a fraction ({fractions[0]}) over the mapped upstream task "
            f"{nodes[mapped[0]].task_name!r} needs the number of its items, which Step "
            "Functions cannot multiply",
            flow=graph.name,
            task=node.task_name,
            fix="give at_least/at_most as a count of tasks",
        )


# -- the states ------------------------------------------------------------------------------
def failed_var(node: str) -> str:
    return path(result_path(node), [FAILED_KEY])


def skipped_var(node: str) -> str:
    return path(result_path(node), [SKIPPED_KEY])


def _present(variable: str) -> dict[str, Any]:
    return {"Variable": variable, "IsPresent": True}


def _not(rule: dict[str, Any]) -> dict[str, Any]:
    return {"Not": rule}


def _all(rules: list[dict[str, Any]]) -> dict[str, Any]:
    return rules[0] if len(rules) == 1 else {"And": rules}


def _any(rules: list[dict[str, Any]]) -> dict[str, Any]:
    return rules[0] if len(rules) == 1 else {"Or": rules}


def _marker(node: TaskNode, marker: dict[str, Any]) -> dict[str, Any]:
    """A gate outcome's record: the marker as the value (a mapped task: its only item)."""
    return {"value": [marker] if node.is_map else marker}


class GateWriter:
    """The states of one task's gate: a Choice (after counting Passes, if it counts) whose rules
    lead to the task, or to Pass states recording SKIPPED / TRIGGER_FAILED in its place."""

    def __init__(self, graph: FlowGraph, node: TaskNode, run: str) -> None:
        self.graph = graph
        self.node = node
        self.run = run  # the first state of the task itself
        self.nodes = {n.id: n for n in graph.nodes}
        self.rules: list[dict[str, Any]] = []
        self.side: list[Step] = []
        self.default = run
        self.triggered = node.options.trigger != DEFAULT_TRIGGER
        self.upstream = _trigger_upstream(node) if self.triggered else sorted(_machine_read(node))
        self.counting = counts(node, self.nodes)

    @property
    def choice_name(self) -> str:
        return f"{self.node.id} gate"

    def sequence(self) -> Sequence:
        for condition in self.node.cases:
            self.case(condition)
        if self.triggered:
            self.readable()
        if self.counting:
            steps = self.count_steps()
            self.counted()
        else:
            steps = []
            self.presence()
        if not self.rules and self.default == self.run:  # e.g. all_finished: always runs
            return Sequence(steps=steps)
        if not self.rules:  # decided at compile time (not_all_skipped with no upstream task)
            jump = {"Type": "Pass", "Next": self.default}
            return Sequence(steps=[Step(self.choice_name, jump, chained=False)], side=self.side)
        choice: dict[str, Any] = {"Type": "Choice", "Choices": self.rules, "Default": self.default}
        return Sequence(
            steps=[*steps, Step(self.choice_name, choice, chained=False)], side=self.side
        )

    # -- outcomes ---------------------------------------------------------------------------
    def outcome(self, suffix: str, state: dict[str, Any]) -> str:
        name = f"{self.node.id} {suffix}"
        if name not in {s.name for s in self.side}:
            record = {"ResultPath": path("$.results", [self.node.id]), **state}
            self.side.append(Step(name, {"Type": "Pass", **record}, then=self.node.id))
        return name

    def skip(self, reason: str) -> str:
        return self.outcome("skipped", {"Result": _marker(self.node, {SKIPPED_KEY: reason})})

    def trigger_failed(self, verdict: str) -> str:
        """TRIGGER_FAILED with no upstream failure to pass on (e.g. any_failed, none failed)."""
        failure = {"Error": TRIGGER_FAILED_ERROR, "Cause": f"{self.node.task_name}: {verdict}"}
        marker = {FAILED_KEY: failure, TRIGGER_FAILED_KEY: verdict}
        return self.outcome("trigger failed", {"Result": _marker(self.node, marker)})

    def failed_because(self, failure_path: str, label: str, verdict: str) -> str:
        """TRIGGER_FAILED carrying the upstream failure at `failure_path` (Error and Cause)."""
        if self.node.is_map:  # a template cannot build a list around a copied object
            return self.trigger_failed(verdict)
        marker = {f"{FAILED_KEY}.$": failure_path, TRIGGER_FAILED_KEY: verdict}
        return self.outcome(f"trigger failed ({label})", {"Parameters": {"value": marker}})

    def when(self, rule: dict[str, Any], target: str) -> None:
        self.rules.append({**rule, "Next": target})

    # -- case --------------------------------------------------------------------------------
    def case(self, condition: CaseCondition) -> None:
        on = condition.on
        if isinstance(on, ResultInput):
            label = self.nodes[on.node].task_name
            self.when(
                _present(failed_var(on.node)),
                self.failed_because(
                    failed_var(on.node),
                    on.node,
                    f"case: {label} failed",
                ),
            )
            self.when(_present(skipped_var(on.node)), self.skip(f"case: {label} was skipped"))
            variable = result_path(on.node, on.path)
        else:
            assert isinstance(on, ParamInput)
            label = f"parameter {on.name}"
            variable = param_path(on.name, on.path)
        reason = f"case: {label} is not {condition.value!r}"
        self.when(
            _not(_all([_present(variable), _equals(variable, condition.value)])), self.skip(reason)
        )

    def readable(self) -> None:
        """A task whose trigger lets it run after a failure cannot read a part of (or map over)
        a result that is a marker: it ends TRIGGER_FAILED (or SKIPPED) instead of erroring."""
        for u in sorted(_machine_read(self.node)):
            label = self.nodes[u].task_name
            verdict = f"cannot read a part of {label}'s result: {label} failed"
            self.when(_present(failed_var(u)), self.failed_because(failed_var(u), u, verdict))
            self.when(_present(skipped_var(u)), self.skip(f"{label} was skipped"))

    # -- presence rules (plain upstreams) -----------------------------------------------------
    def presence(self) -> None:
        upstream, opts = self.upstream, self.node.options
        trigger = opts.trigger
        if opts.skip_on_upstream_skip and upstream:
            self.when(
                _any([_present(skipped_var(u)) for u in upstream]),
                self.skip("an upstream task was skipped"),
            )
        failed = [_present(failed_var(u)) for u in upstream]
        if trigger == "all_successful":
            for u in upstream:
                self.when(
                    _present(failed_var(u)),
                    self.failed_because(failed_var(u), u, f"all_successful: {u} failed"),
                )
        elif trigger == "all_failed" and upstream:
            self.when(_all(failed), self.run)
            self.default = self.trigger_failed("all_failed: an upstream task did not fail")
        elif trigger == "any_successful" and upstream:
            self.when(_any([_not(r) for r in failed]), self.run)
            self.default = self.trigger_failed("any_successful: no upstream task succeeded")
        elif trigger == "any_failed" and upstream:
            self.when(_any(failed), self.run)
            self.default = self.trigger_failed("any_failed: no upstream task failed")
        elif trigger == "not_all_skipped":
            if not upstream:
                self.default = self.skip("not_all_skipped: every upstream task was skipped")
                return
            self.when(
                _all([_present(skipped_var(u)) for u in upstream]),
                self.skip("not_all_skipped: every upstream task was skipped"),
            )
            for u in upstream:
                self.when(
                    _present(failed_var(u)),
                    self.failed_because(failed_var(u), u, f"not_all_skipped: {u} failed"),
                )

    # -- counting rules ------------------------------------------------------------------------
    def count_steps(self) -> list[Step]:
        """Three Passes: the upstream states as lists, filtered, counted (into `$.gate`).

        A JSONPath filter that matches nothing is a States.Runtime error in Step Functions, so a
        sentinel that every filter matches goes last, and each count is one less than a length.
        """
        plain = [result_path(u) for u in self.upstream if not self.nodes[u].is_map]
        lists = [result_path(u) for u in self.upstream if self.nodes[u].is_map]
        if plain:
            lists.insert(0, "States.Array(" + ", ".join(plain) + ")")
        lists.append(f"States.Array({SENTINEL})")
        gather = {"lists.$": "States.Array(" + ", ".join(lists) + ")"}
        every = f"{GATE}.lists[*]"
        filtered = {
            "all.$": every + "[*]",
            "failed.$": f"{every}[?(@.{FAILED_KEY})]",
            "skipped.$": f"{every}[?(@.{SKIPPED_KEY})]",
        }
        totals: dict[str, Any] = {
            key + ".$": _count(f"{GATE}.{key}") for key in ("all", "failed", "skipped")
        }
        totals.update(self.bound_totals())
        nid = self.node.id
        return [
            Step(f"{nid} upstream states", _pass(gather, GATE)),
            Step(f"{nid} count states", _pass(filtered, GATE)),
            Step(f"{nid} state totals", _pass(totals, f"{GATE}.totals")),
        ]

    def static_n(self) -> int | None:
        """The number of upstream states when no upstream is mapped (known at compile time)."""
        if any(self.nodes[u].is_map for u in self.upstream):
            return None
        return len(self.upstream)

    def bound_totals(self) -> dict[str, str]:
        """failed + at_least and failed + at_most, for some_successful over a mapped upstream:
        successes = n - failed lie in [lo, hi] iff failed + lo <= n <= failed + hi."""
        opts = self.node.options
        if opts.trigger != "some_successful" or self.static_n() is not None:
            return {}
        out = {}
        at_least, at_most = opts.trigger_bounds
        failed = f"States.ArrayLength({GATE}.failed)"  # one more than the failures: the sentinel
        if at_least is not None:
            out["failed_plus_at_least.$"] = f"States.MathAdd({failed}, {math.ceil(at_least) - 1})"
        if at_most is not None:
            out["failed_plus_at_most.$"] = f"States.MathAdd({failed}, {math.floor(at_most) - 1})"
        return out

    def counted(self) -> None:
        opts = self.node.options
        trigger, upstream = opts.trigger, self.upstream
        total = f"{GATE}.totals"
        n, failed, skipped = f"{total}.all", f"{total}.failed", f"{total}.skipped"
        first_failure = path(f"{GATE}.failed[0]", [FAILED_KEY])
        if opts.skip_on_upstream_skip:
            self.when(
                {"Variable": skipped, "NumericGreaterThan": 0},
                self.skip("an upstream task was skipped"),
            )
        if trigger == "all_successful":
            self.when(
                {"Variable": failed, "NumericGreaterThan": 0},
                self.failed_because(
                    first_failure, "upstream", "all_successful: an upstream task failed"
                ),
            )
        elif trigger == "all_failed":
            self.when({"Variable": failed, "NumericEqualsPath": n}, self.run)
            self.default = self.trigger_failed("all_failed: an upstream task did not fail")
        elif trigger == "any_successful" and upstream:
            self.when({"Variable": failed, "NumericLessThanPath": n}, self.run)
            self.default = self.trigger_failed("any_successful: no upstream task succeeded")
        elif trigger == "any_failed" and upstream:
            self.when({"Variable": failed, "NumericGreaterThan": 0}, self.run)
            self.default = self.trigger_failed("any_failed: no upstream task failed")
        elif trigger == "not_all_skipped":
            self.when(
                {"Variable": skipped, "NumericEqualsPath": n},
                self.skip("not_all_skipped: every upstream task was skipped"),
            )
            self.when(
                {"Variable": failed, "NumericGreaterThan": 0},
                self.failed_because(
                    first_failure, "upstream", "not_all_skipped: an upstream task failed"
                ),
            )
        elif trigger in COUNTING_TRIGGERS and upstream:
            self.when(_all(self.bounds_rules(n, failed)), self.run)
            self.default = self.trigger_failed(f"{self.trigger_text()}: the count is outside")

    def trigger_text(self) -> str:
        at_least, at_most = self.node.options.trigger_bounds
        args = [f"at_least={at_least}"] if at_least is not None else []
        args += [f"at_most={at_most}"] if at_most is not None else []
        return f"{self.node.options.trigger}({', '.join(args)})"

    def bounds_rules(self, n: str, failed: str) -> list[dict[str, Any]]:
        """Rules for some_successful/some_failed, as the reference `_some` computes bounds."""
        opts = self.node.options
        at_least, at_most = opts.trigger_bounds
        count_failed = opts.trigger == "some_failed"
        static = self.static_n()
        rules: list[dict[str, Any]] = []
        if static is not None:
            lo = 0 if at_least is None else (static * at_least if at_least < 1 else at_least)
            hi = static if at_most is None else (static * at_most if at_most < 1 else at_most)
            if count_failed:  # lo <= failed <= hi
                rules.append({"Variable": failed, "NumericGreaterThanEquals": lo})
                rules.append({"Variable": failed, "NumericLessThanEquals": hi})
            else:  # lo <= static - failed <= hi
                rules.append({"Variable": failed, "NumericLessThanEquals": static - lo})
                rules.append({"Variable": failed, "NumericGreaterThanEquals": static - hi})
            return rules
        # A mapped upstream: n is known only at run time, and the bounds are counts.
        if count_failed:
            if at_least is not None:
                rules.append({"Variable": failed, "NumericGreaterThanEquals": at_least})
            if at_most is not None:
                rules.append({"Variable": failed, "NumericLessThanEquals": at_most})
        else:
            if at_least is not None:
                rules.append(
                    {
                        "Variable": n,
                        "NumericGreaterThanEqualsPath": f"{GATE}.totals.failed_plus_at_least",
                    }
                )
            if at_most is not None:
                rules.append(
                    {
                        "Variable": n,
                        "NumericLessThanEqualsPath": f"{GATE}.totals.failed_plus_at_most",
                    }
                )
        return rules or [{"Variable": n, "NumericGreaterThanEquals": 0}]


def _pass(parameters: dict[str, Any], result_path: str) -> dict[str, Any]:
    return {"Type": "Pass", "Parameters": parameters, "ResultPath": result_path}


def _count(list_path: str) -> str:
    """The number of real items in a counting list: its length less the sentinel."""
    return f"States.MathAdd(States.ArrayLength({list_path}), -1)"


def _equals(variable: str, value: Any) -> dict[str, Any]:
    if value is None:
        return {"Variable": variable, "IsNull": True}
    if isinstance(value, bool):
        return {"Variable": variable, "BooleanEquals": value}
    if isinstance(value, str):
        return {"Variable": variable, "StringEquals": value}
    return {"Variable": variable, "NumericEquals": value}


# -- catching ----------------------------------------------------------------------------------
def catcher(node: TaskNode) -> list[dict[str, Any]]:
    """The Catch of a caught task: its failure becomes the marker where its value would be."""
    return [
        {
            "ErrorEquals": ["States.ALL"],
            "ResultPath": path(result_path(node.id), [FAILED_KEY]),
            "Next": after(node.id),
        }
    ]


def item_catcher(node: TaskNode) -> tuple[list[dict[str, Any]], Step]:
    """A caught mapped task's item: its failure becomes that item's marker (the item's output)."""
    name = f"{node.id} item failed"
    catch = [{"ErrorEquals": ["States.ALL"], "ResultPath": path("$", [FAILED_KEY]), "Next": name}]
    record = Step(
        name,
        {"Type": "Pass", "Parameters": {f"{FAILED_KEY}.$": path("$", [FAILED_KEY])}, "End": True},
        chained=False,
    )
    return catch, record


# -- the end -----------------------------------------------------------------------------------
def final_sequence(graph: FlowGraph, plan: ControlPlan) -> Sequence:
    """The run's state from the reference tasks: the first failed one ends it in a Fail state."""
    if not plan.final:
        return Sequence()
    nodes = {n.id: n for n in graph.nodes}
    steps: list[Step] = []
    mapped = [r for r in plan.final if nodes[r].is_map]
    if mapped:  # each mapped reference's failed items, the sentinel last (see count_steps)
        lists = {
            f"{r}.$": f"States.Array({result_path(r)}, States.Array({SENTINEL}))" for r in mapped
        }
        failed = {f"{r}.$": f"{path(GATE, [r])}[*][?(@.{FAILED_KEY})]" for r in mapped}
        steps.append(Step("reference states", _pass(lists, GATE)))
        steps.append(Step("failed reference items", _pass(failed, GATE)))
    rules: list[dict[str, Any]] = []
    side: list[Step] = []
    for ref in plan.final:
        if nodes[ref].is_map:  # a real failure comes before the sentinel: [1] exists
            present = path(path(GATE, [ref]), [1])
            failure = path(path(path(GATE, [ref]), [0]), [FAILED_KEY])
        else:
            present = failure = failed_var(ref)
        fail = f"{ref} failed the run"
        rules.append({**_present(present), "Next": fail})
        side.append(
            Step(
                fail,
                {"Type": "Fail", "ErrorPath": f"{failure}.Error", "CausePath": f"{failure}.Cause"},
                chained=False,
            )
        )
    done = "run succeeded"
    steps.append(
        Step("run state", {"Type": "Choice", "Choices": rules, "Default": done}, chained=False)
    )
    side.append(Step(done, {"Type": "Succeed"}, chained=False))
    return Sequence(steps=steps, side=side)
