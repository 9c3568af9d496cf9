"""The flows the project ships (`functions/`): their graphs, their state machines, their results.

Each flow is checked three ways: the validated graph (nodes, edges, options); the compiled ASL
(shape, Retry/TimeoutSeconds/Map, statelint-clean, what `orchestrator plan` prints); and its task
bodies run through the Lambda runtime handler in dependency order, which pins the deterministic
results the fake data sources promise.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from functions.dynamic_shards import dynamic_shards
from functions.etl import etl
from functions.external_api import external_api
from functions.order_saga import order_saga
from functions.payment import PaymentFailed, charge_payment, payment
from functions.promo_monitor import promo_monitor
from functions.recommendations import recommendations
from functions.s3_upload import s3_upload
from orchestrator import Flow
from orchestrator.deploy.validate import statelint_problems
from orchestrator.graph import (
    ConstInput,
    DictInput,
    FlowGraph,
    Input,
    ListInput,
    ParamInput,
    ResultInput,
    TaskNode,
)
from orchestrator.runtime.handler import execute_task, resolve_task

ROOT = Path(__file__).resolve().parents[1]
# The console script pyproject installs, next to this interpreter: what a user types.
CLI = str(Path(sys.executable).parent / "orchestrator")

SHIPPED: dict[str, Flow] = {
    "etl": etl,
    "recommendations": recommendations,
    "dynamic_shards": dynamic_shards,
    "external_api": external_api,
    "s3_upload": s3_upload,
    "payment": payment,
    "order_saga": order_saga,
    "promo_monitor": promo_monitor,
}
# Flows with triggers: some tasks end TRIGGER_FAILED on a good run, and calling every task in
# order is not what a run does. Their runs are checked in tests/control/test_saga.py.
CONTROLLED = {"order_saga"}

# Per flow: display name, node ids in call order, and every dependency edge.
GRAPHS: dict[str, tuple[str, list[str], set[tuple[str, str]]]] = {
    "order_saga": (
        "order_saga",
        [
            "reserve_stock",
            "charge_card",
            "ship_order",
            "release_stock",
            "refund_card",
            "close_order",
        ],
        {
            ("reserve_stock", "charge_card"),
            ("reserve_stock", "ship_order"),
            ("charge_card", "ship_order"),
            ("reserve_stock", "release_stock"),
            ("charge_card", "release_stock"),
            ("ship_order", "release_stock"),
            ("charge_card", "refund_card"),
            ("ship_order", "refund_card"),
            ("ship_order", "close_order"),
            ("release_stock", "close_order"),
            ("refund_card", "close_order"),
        },
    ),
    "etl": (
        "ETL",
        ["extract", "clean_data", "transform", "load_to_db"],
        {("extract", "clean_data"), ("clean_data", "transform"), ("transform", "load_to_db")},
    ),
    "recommendations": (
        "推荐系统",
        ["fetch_user_profile", "fetch_items", "generate_recommendations"],
        {
            ("fetch_user_profile", "generate_recommendations"),
            ("fetch_items", "generate_recommendations"),
        },
    ),
    "dynamic_shards": (
        "动态分片",
        ["get_data_shards", "process_shard", "summarize_shards"],
        {("get_data_shards", "process_shard"), ("process_shard", "summarize_shards")},
    ),
    "external_api": (
        "external_api",
        ["call_external_api", "normalize_rates"],
        {("call_external_api", "normalize_rates")},
    ),
    "s3_upload": (
        "s3_upload",
        ["build_report", "upload_to_s3"],
        {("build_report", "upload_to_s3")},
    ),
    "payment": (
        "payment",
        ["charge_payment", "assess_risk", "refund_payment"],
        {
            ("charge_payment", "assess_risk"),
            ("charge_payment", "refund_payment"),
            ("assess_risk", "refund_payment"),
        },
    ),
    "promo_monitor": (
        "大促监控",
        [
            "realtime_clicks",
            "payment_events",
            "enrich_data",
            "calculate_stats",
            "trigger_alert",
            "update_dashboard",
        ],
        {
            ("realtime_clicks", "enrich_data"),
            ("payment_events", "enrich_data"),
            ("enrich_data", "calculate_stats"),
            ("calculate_stats", "trigger_alert"),
            ("calculate_stats", "update_dashboard"),
        },
    ),
}


# -- the project lists exactly these flows ----------------------------------------------------


def test_pyproject_lists_the_shipped_flows() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    specs = config["tool"]["orchestrator"]["flows"]
    assert specs == [f"functions.{name}:{name}" for name in SHIPPED]


def test_project_loader_finds_the_same_flow_objects() -> None:
    from orchestrator.loader import load_project_flows

    assert load_project_flows(ROOT / "pyproject.toml") == list(SHIPPED.values())


# -- graphs -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_graph_nodes_and_edges(name: str) -> None:
    display, nodes, edges = GRAPHS[name]
    graph = SHIPPED[name].graph
    assert graph.name == display
    assert [n.id for n in graph.nodes] == nodes
    assert set(graph.edges()) == edges
    assert len(graph.edges()) == len(edges)  # no edge recorded twice


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_resource_names_are_ascii_and_distinct(name: str) -> None:
    graph = SHIPPED[name].graph
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,80}", graph.resource_name)
    others = {f.graph.resource_name for n, f in SHIPPED.items() if n != name}
    assert graph.resource_name not in others


def test_lambda_function_ids_do_not_clash_across_flows() -> None:
    """One template deploys every flow: two different task functions must not share a name."""
    owner: dict[str, str] = {}
    for flow in SHIPPED.values():
        for node in flow.graph.nodes:
            assert owner.setdefault(node.function_id, node.task_key) == node.task_key


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_task_keys_resolve_to_importable_functions(name: str) -> None:
    """The Lambda runtime imports each task by `module:qualname`; it must find the function."""
    for node in SHIPPED[name].graph.nodes:
        fn = resolve_task(node.task_key)
        assert node.task_key.startswith(f"functions.{name}:")
        assert fn.__name__ == node.task_name


def test_parameters_and_defaults() -> None:
    assert etl.graph.defaults() == {"day": "2024-11-11", "rows": 200}
    assert recommendations.graph.defaults() == {"user_id": "u-1001", "k": 5}
    assert dynamic_shards.graph.defaults() == {"seed": 42}
    assert external_api.graph.defaults() == {"base": "USD", "day": "2024-11-11"}
    assert s3_upload.graph.defaults() == {"day": "2024-11-11", "bucket": "data-lake-reports"}
    assert set(payment.graph.defaults()) == {"order", "risk_threshold"}
    assert promo_monitor.graph.defaults() == {
        "window_start": "2024-11-11T00:00:00+08:00",
        "min_conversion": 0.02,
    }
    for flow in SHIPPED.values():
        assert all(not p.required for p in flow.graph.parameters)


def test_etl_options() -> None:
    options = etl.graph.node("extract").options
    assert options.retries == 3
    assert options.error_equals == ("States.ALL",)
    assert etl.graph.node("load_to_db").inputs["day"] == ParamInput(name="day")


def test_recommendations_set_upstream_repeats_data_edges() -> None:
    node = recommendations.graph.node("generate_recommendations")
    assert node.upstream == ("fetch_user_profile", "fetch_items")
    assert node.inputs["user"] == ResultInput(node="fetch_user_profile")
    assert node.inputs["items"] == ResultInput(node="fetch_items")


def test_dynamic_shards_maps_and_returns_the_summary() -> None:
    graph = dynamic_shards.graph
    node = graph.node("process_shard")
    assert node.is_map and node.mapped == {"shard": ResultInput(node="get_data_shards")}
    assert graph.node("get_data_shards").inputs == {"seed": ParamInput(name="seed")}
    summary = graph.node("summarize_shards")
    assert summary.inputs == {"results": ResultInput(node="process_shard")}
    assert graph.output == ResultInput(node="summarize_shards")


def test_external_api_timeout() -> None:
    assert external_api.graph.node("call_external_api").timeout == 300
    assert external_api.graph.output == ResultInput(node="normalize_rates")


def test_s3_upload_exponential_delay() -> None:
    options = s3_upload.graph.node("upload_to_s3").options
    delay = options.retry_delay
    assert (options.retries, delay.interval, delay.backoff_rate) == (3, 10, 2.0)


def test_payment_retry_on_and_trigger() -> None:
    graph = payment.graph
    options = graph.node("charge_payment").options
    assert options.error_equals == ("PaymentFailed",)
    assert options.retries == 3
    assert graph.node("refund_payment").options.trigger == "all_successful"
    assert graph.node("assess_risk").inputs["threshold"] == ParamInput(name="risk_threshold")


def test_promo_monitor_schedule_and_seed_edges() -> None:
    graph = promo_monitor.graph
    assert graph.schedule is not None and graph.schedule.expression == "rate(1 hour)"
    assert graph.node("update_dashboard").upstream == ("calculate_stats",)
    assert graph.node("trigger_alert").upstream == ("calculate_stats",)
    assert all(f.graph.schedule is None for n, f in SHIPPED.items() if n != "promo_monitor")


# -- state machines ---------------------------------------------------------------------------


def all_states(asl: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, state in asl.get("States", {}).items():
        yield name, state
        for branch in state.get("Branches", []):
            yield from all_states(branch)
        if "ItemProcessor" in state:
            yield from all_states(state["ItemProcessor"])


def top_level_path(asl: dict[str, Any]) -> list[str]:
    """The top-level states from StartAt, following Next."""
    path, name = [], asl["StartAt"]
    while name is not None:
        path.append(name)
        name = asl["States"][name].get("Next")
    return path


def shape(asl: dict[str, Any]) -> list[Any]:
    """The top-level path with each Parallel shown as its branches' paths."""
    out: list[Any] = []
    for name in top_level_path(asl):
        st = asl["States"][name]
        if st["Type"] == "Parallel":
            out.append(sorted(top_level_path(b) for b in st["Branches"]))
        else:
            out.append(f"{name}:{st['Type']}")
    return out


def retriers(st: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A state's user retriers by error name (Lambda's own transient-error retrier left out)."""
    return {
        ",".join(r["ErrorEquals"]): r
        for r in st.get("Retry", [])
        if not r["ErrorEquals"][0].startswith("Lambda.")
    }


SHAPES: dict[str, list[Any]] = {
    # Gates are Choice states: a branch's path stops at its gate; the run ends in a Choice.
    "order_saga": [
        # Its first task builds the document, its Catch too (on a side path: planner/start.py).
        "reserve_stock:Task",
        "charge_card:Task",
        "ship_order:Task",
        [["refund_card gate"], ["release_stock gate"]],
        "close_order:Task",
        "run state:Choice",
    ],
    "etl": ["extract:Task", "clean_data:Task", "transform:Task", "load_to_db:Task"],
    "recommendations": [
        [["fetch_items"], ["fetch_user_profile"]],
        "generate_recommendations:Task",
    ],
    "dynamic_shards": ["get_data_shards:Task", "process_shard:Map", "summarize_shards:Task"],
    "external_api": ["call_external_api:Task", "normalize_rates:Task"],
    "s3_upload": ["build_report:Task", "upload_to_s3:Task"],
    "payment": ["charge_payment:Task", "assess_risk:Task", "refund_payment:Task"],
    "promo_monitor": [
        [["payment_events"], ["realtime_clicks"]],
        "enrich_data:Task",
        "calculate_stats:Task",
        [["trigger_alert"], ["update_dashboard"]],
    ],
}


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_asl_shape(name: str) -> None:
    asl = SHIPPED[name].asl()
    assert asl["QueryLanguage"] == "JSONPath"
    assert shape(asl) == SHAPES[name]


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_asl_task_states_follow_the_data_contract(name: str) -> None:
    graph = SHIPPED[name].graph
    states = dict(all_states(SHIPPED[name].asl()))
    for node in graph.nodes:
        st = states[f"{node.id} item" if node.is_map else node.id]
        assert st["Type"] == "Task"
        assert st["Resource"] == "arn:aws:states:::lambda:invoke"
        assert st["Parameters"]["FunctionName"] == f"${{{node.function_id}FunctionArn}}"
        assert st["Parameters"]["Payload"]["task"] == node.id
        if not node.is_map and "start" in st["Parameters"]["Payload"]:
            # A first task: it writes the whole document, params from its handler.
            assert st["ResultPath"] == "$"
            assert st["ResultSelector"]["params.$"] == "$.Payload.params"
            assert st["ResultSelector"]["results"][node.id] == {"value.$": "$.Payload.value"}
        elif not node.is_map:
            # Added to the results map, or replacing it when no other result is still needed.
            assert (st["ResultPath"], st["ResultSelector"]) in (
                (f"$.results.{node.id}", {"value.$": "$.Payload"}),
                ("$.results", {node.id: {"value.$": "$.Payload"}}),
            )


def test_asl_options() -> None:
    extract = dict(all_states(etl.asl()))["extract"]
    assert retriers(extract)["States.ALL"]["MaxAttempts"] == 3

    shard_states = dict(all_states(dynamic_shards.asl()))
    # A shard list of unknown length: a Distributed Map reading the stored list from S3.
    assert shard_states["process_shard"]["ItemReader"]["Parameters"] == {
        "Bucket.$": "$.results.get_data_shards.value.bucket",
        "Key.$": "$.results.get_data_shards.value.key",
    }
    assert retriers(shard_states["process_shard item"])["States.ALL"]["MaxAttempts"] == 2
    summarize = shard_states["summarize_shards"]["Parameters"]["Payload"]["inputs"]
    assert summarize == {"results.$": "$.results.process_shard.value"}

    api = dict(all_states(external_api.asl()))["call_external_api"]
    assert api["TimeoutSeconds"] == 300

    upload = retriers(dict(all_states(s3_upload.asl()))["upload_to_s3"])["States.ALL"]
    assert (upload["IntervalSeconds"], upload["MaxAttempts"]) == (10, 3)
    assert upload["BackoffRate"] == 2.0 and isinstance(upload["BackoffRate"], float)

    charge = retriers(dict(all_states(payment.asl()))["charge_payment"])
    assert list(charge) == ["PaymentFailed"] and charge["PaymentFailed"]["MaxAttempts"] == 3


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_asl_passes_statelint(name: str, tmp_path: Path) -> None:
    path = tmp_path / f"{name}.asl.json"
    path.write_text(json.dumps(SHIPPED[name].asl(), ensure_ascii=False), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "statelint", str(path)], capture_output=True, text=True
    )
    # statelint does not know ReaderConfig.InputType, which AWS documents (see
    # orchestrator.deploy.validate._STATELINT_GAPS); the filtered problems must be none.
    problems = statelint_problems(json.loads(path.read_text(encoding="utf-8")))
    assert problems == [], done.stdout + done.stderr


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_cli_plan_prints_the_same_asl(name: str, tmp_path: Path) -> None:
    out = tmp_path / f"{name}.asl.json"
    done = subprocess.run(
        [CLI, "plan", f"functions.{name}:{name}", "-o", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text(encoding="utf-8")) == SHIPPED[name].asl()


# -- task bodies through the Lambda handler ---------------------------------------------------


def _resolve(value: Input, params: dict[str, Any], results: dict[str, Any]) -> Any:
    def walk(data: Any, path: tuple[str | int, ...]) -> Any:
        for step in path:
            data = data[step]
        return data

    if isinstance(value, ResultInput):
        return walk(results[value.node], value.path)
    if isinstance(value, ParamInput):
        return walk(params[value.name], value.path)
    if isinstance(value, ConstInput):
        return value.value
    if isinstance(value, ListInput):
        return [_resolve(v, params, results) for v in value.items]
    assert isinstance(value, DictInput)
    return {k: _resolve(v, params, results) for k, v in value.items.items()}


def _invoke(node: TaskNode, inputs: dict[str, Any]) -> Any:
    # A JSON round trip on the way in and out, as Step Functions would give the Lambda.
    event = json.loads(json.dumps({"task": node.id, "inputs": inputs, "context": {}}))
    return json.loads(json.dumps(execute_task(resolve_task(node.task_key), event)))


def call_tasks(graph: FlowGraph, **params: Any) -> dict[str, Any]:
    """Every task's result by id, each run by the runtime handler in call (topological) order.

    Not a second engine: no retries, no triggers, no concurrency — only what the handler sees,
    so the task bodies and their JSON contract are pinned even without the local engine.
    """
    params = {**graph.defaults(), **params}
    results: dict[str, Any] = {}
    for node in graph.nodes:
        inputs = {k: _resolve(v, params, results) for k, v in node.inputs.items()}
        if node.is_map:
            items = {k: _resolve(v, params, results) for k, v in node.mapped.items()}
            count = len(next(iter(items.values())))
            results[node.id] = [
                _invoke(node, {**inputs, **{k: v[i] for k, v in items.items()}})
                for i in range(count)
            ]
        else:
            results[node.id] = _invoke(node, inputs)
    return results


def test_etl_results() -> None:
    out = call_tasks(etl.graph)
    assert len(out["extract"]) == 200
    cleaned = out["clean_data"]
    assert 150 < len(cleaned) < 200  # some rows are dirty, most are not
    assert all(r["amount"] > 0 and r["currency"] in ("CNY", "USD", "EUR") for r in cleaned)
    assert len({r["order_id"] for r in cleaned}) == len(cleaned)
    summary = out["transform"]
    assert summary["orders"] == len(cleaned)
    assert summary["revenue_cny"] == pytest.approx(
        sum(c["revenue_cny"] for c in summary["categories"])
    )
    assert out["load_to_db"]["rows_written"] == len(summary["categories"])
    assert out["load_to_db"]["day"] == "2024-11-11"
    assert call_tasks(etl.graph) == out  # deterministic
    assert call_tasks(etl.graph, day="2024-11-12")["load_to_db"] != out["load_to_db"]


def test_recommendations_results() -> None:
    out = call_tasks(recommendations.graph, user_id="u-7", k=3)
    recs = out["generate_recommendations"]
    assert recs["user_id"] == "u-7"
    assert len(recs["items"]) == 3
    scores = [i["score"] for i in recs["items"]]
    assert scores == sorted(scores, reverse=True)
    assert not {i["item_id"] for i in recs["items"]} & set(
        out["fetch_user_profile"]["recently_bought"]
    )
    assert call_tasks(recommendations.graph, user_id="u-7", k=3) == out


def test_dynamic_shards_results() -> None:
    counts = set()
    for seed in range(12):
        out = call_tasks(dynamic_shards.graph, seed=seed)
        shards = out["get_data_shards"]
        assert 3 <= len(shards) <= 10
        assert [r["shard"] for r in out["process_shard"]] == shards
        summary = out["summarize_shards"]
        assert summary["shards"] == len(shards)
        assert summary["records"] == sum(r["records"] for r in out["process_shard"])
        counts.add(len(shards))
    assert len(counts) > 1  # the seed parameter really changes the shard count
    assert call_tasks(dynamic_shards.graph)["get_data_shards"] == [f"shard-{i}" for i in range(5)]


def test_external_api_results() -> None:
    rows = call_tasks(external_api.graph, base="EUR")["normalize_rates"]
    assert [r["quote"] for r in rows] == ["CNY", "GBP", "JPY", "USD"]
    assert all(r["base"] == "EUR" and r["date"] == "2024-11-11" for r in rows)
    usd = next(r["rate"] for r in rows if r["quote"] == "USD")
    assert usd == pytest.approx(1 / 0.92, rel=0.02)
    with pytest.raises(ValueError, match="400 unsupported base currency"):
        call_tasks(external_api.graph, base="XXX")


def test_s3_upload_results() -> None:
    out = call_tasks(s3_upload.graph, bucket="my-bucket")
    put = out["upload_to_s3"]
    assert put["uri"] == "s3://my-bucket/reports/2024-11-11.json"
    assert re.fullmatch(r"[0-9a-f]{32}", put["etag"])
    body = json.dumps(out["build_report"], sort_keys=True, ensure_ascii=False).encode()
    assert put["size"] == len(body)
    assert call_tasks(s3_upload.graph, bucket="my-bucket") == out


def test_payment_results() -> None:
    out = call_tasks(payment.graph)
    assert out["charge_payment"]["status"] == "captured"
    risk = out["assess_risk"]
    assert risk["approved"] is (risk["score"] < 0.8)
    assert out["refund_payment"]["refunded"] is (not risk["approved"])
    # A strict threshold rejects the order: the compensation refunds the full charge.
    strict = call_tasks(payment.graph, risk_threshold=0.0)
    assert strict["refund_payment"]["refunded"] is True
    assert strict["refund_payment"]["amount"] == strict["charge_payment"]["amount"]


def test_payment_declined_card_raises_payment_failed() -> None:
    order = dict(payment.graph.defaults()["order"], card="tok_4000000000000002")
    with pytest.raises(PaymentFailed, match="declined"):
        call_tasks(payment.graph, order=order)
    # Other errors are not PaymentFailed, so they are not retried.
    with pytest.raises(ValueError):
        charge_payment.fn(dict(order, amount=0, card="tok_4242"))


def test_promo_monitor_results() -> None:
    out = call_tasks(promo_monitor.graph)
    stats = out["calculate_stats"]
    assert set(stats["channels"]) == {"app", "web", "mini-program", "live-stream"}
    assert stats["orders"] == sum(r["orders"] for r in out["enrich_data"])
    low = sorted(c for c, rate in stats["channels"].items() if rate < 0.02)
    assert out["trigger_alert"]["alert"] is bool(low)
    assert out["trigger_alert"]["channels"] == low
    quiet = call_tasks(promo_monitor.graph, min_conversion=0.0)["trigger_alert"]
    assert quiet == {"alert": False, "channels": [], "message": ""}
    assert out["update_dashboard"]["dashboard"] == "double-11-live"
    assert out["update_dashboard"]["widgets"]["orders"] == stats["orders"]


# -- local runs: the compiled ASL in the embedded engine, virtual clock -----------------------

# Decorator-style flows return one task's result; `with Flow(...)` flows return every result.
RETURNS = {"dynamic_shards": "summarize_shards", "external_api": "normalize_rates"}


@pytest.fixture
def run_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keep the runs these tests record out of the working tree."""
    from orchestrator.contract import STORE_ENV

    path = tmp_path / "runs.sqlite"
    monkeypatch.setenv(STORE_ENV, str(path))
    return path


RUN_PARAMS: dict[str, dict[str, Any]] = {
    "etl": {"day": "2024-11-12", "rows": 120},
    "recommendations": {"user_id": "u-42", "k": 4},
    "dynamic_shards": {"seed": 7},
    "external_api": {"base": "CNY"},
    "s3_upload": {"bucket": "reports-test"},
    "payment": {"risk_threshold": 0.1},
    "order_saga": {},
    "promo_monitor": {"window_start": "2024-11-11T20:00:00+08:00", "min_conversion": 0.05},
}


@pytest.mark.parametrize("name", sorted(set(SHIPPED) - CONTROLLED))
def test_local_run_defaults_succeeds(name: str, run_store: Path) -> None:
    run = SHIPPED[name].run(clock="virtual")
    assert run.state == "SUCCEEDED", (run.error, run.cause)
    assert {t.state for t in run.task_runs.values()} == {"SUCCEEDED"}
    expected = call_tasks(SHIPPED[name].graph)
    assert run.result == (expected[RETURNS[name]] if name in RETURNS else expected)


@pytest.mark.parametrize("name", sorted(set(SHIPPED) - CONTROLLED))
def test_local_run_with_parameters(name: str, run_store: Path) -> None:
    params = RUN_PARAMS[name]
    run = SHIPPED[name].run(clock="virtual", **params)
    assert run.state == "SUCCEEDED", (run.error, run.cause)
    expected = call_tasks(SHIPPED[name].graph, **params)
    assert run.result == (expected[RETURNS[name]] if name in RETURNS else expected)
    assert run.delays() == []  # nothing failed, so nothing waited


def test_local_run_maps_one_iteration_per_shard(run_store: Path) -> None:
    run = dynamic_shards.run(clock="virtual", seed=7)
    shards = call_tasks(dynamic_shards.graph, seed=7)["get_data_shards"]
    assert run.task_runs["process_shard"].iterations == len(shards)
    assert run.result["shards"] == len(shards)


def test_local_run_payment_declined_retries_then_fails(run_store: Path) -> None:
    order = dict(payment.graph.defaults()["order"], card="tok_4000000000000002")
    run = payment.run(clock="virtual", order=order)
    assert run.state == "FAILED"
    assert run.error == "PaymentFailed"
    charge = run.task_runs["charge_payment"]
    assert (charge.state, charge.attempts, charge.error) == ("FAILED", 4, "PaymentFailed")
    # Three retries, 1 s apart (the default delay), spent on the virtual clock.
    assert run.delays() == [("charge_payment", 1.0)] * 3
    # No refund without a charge: the compensation's trigger needs both upstreams to succeed.
    assert run.task_runs["refund_payment"].state == "NOT_RUN"


def test_local_run_external_api_error_is_not_retried(run_store: Path) -> None:
    run = external_api.run(clock="virtual", base="XXX")
    assert run.state == "FAILED" and run.error == "ValueError"
    assert run.task_runs["call_external_api"].attempts == 1
    assert run.task_runs["normalize_rates"].state == "NOT_RUN"
