"""`orchestrator cost`'s arithmetic, checked against AWS's published examples and by hand."""

from __future__ import annotations

from typing import Any

import pytest

from orchestrator.deploy.cost import RunUsage, Usage, estimate, run_usage
from orchestrator.deploy.pricing import DEFAULT_PRICES, load_prices
from orchestrator.deploy.schedule_runs import runs_per_month
from orchestrator.engine.spec import LAMBDA_INVOKE
from orchestrator.errors import PathError, ScheduleError


def test_express_duration_tiers_match_the_pricing_page_example() -> None:
    # aws.amazon.com/step-functions/pricing, Express example: 100 million workflows of 10 s at
    # 64 MB = 62,500,000 GB-s = 17,361.11 GB-hours: $60.00 + $120.00 + $202.97 = $382.97.
    assert DEFAULT_PRICES.express_duration_cost(62_500_000) == pytest.approx(382.97, abs=0.01)
    assert DEFAULT_PRICES.express_request * 100_000_000 == pytest.approx(100.00)


def test_lambda_charges_match_the_pricing_page_example_before_the_free_tier() -> None:
    # aws.amazon.com/lambda/pricing, example 1 (x86): 512 MB, 3 million runs of 1 s: 1,500,000
    # GB-s. After the free tier AWS bills 1,100,000 GB-s x $0.00001667 = $18.34 and 2M requests
    # = $0.40; with the free tier's 400,000 GB-s and 1M requests added back:
    # 1,500,000 x $0.0000166667 = $25.00 and 3M x $0.20/M = $0.60.
    one = RunUsage(transitions=1, invocations=1, gb_seconds=0.5, seconds=1.0)
    result = estimate(
        one,
        definition_bytes=0,
        data_bytes=0,
        runs_per_month=3_000_000,
        architecture="x86_64",
        prices=DEFAULT_PRICES,
    )
    assert result.standard.lambda_month == pytest.approx(25.00 + 0.60, abs=0.01)


def task(name: str, then: str | None = None) -> dict[str, Any]:
    state: dict[str, Any] = {
        "Type": "Task",
        "Resource": LAMBDA_INVOKE,
        "Parameters": {"FunctionName": "f", "Payload": {"task": name}},
    }
    state.update({"Next": then} if then else {"End": True})
    return state


# Start (Pass) → Parallel [a | b → c] → Map of d (5 items, 2 at a time) → Choice → x (Pass),
# the Choice's default a Fail state.
MACHINE: dict[str, Any] = {
    "StartAt": "Start",
    "States": {
        "Start": {"Type": "Pass", "Next": "Both"},
        "Both": {
            "Type": "Parallel",
            "Branches": [
                {"StartAt": "a", "States": {"a": task("a")}},
                {"StartAt": "b", "States": {"b": task("b", "c"), "c": task("c")}},
            ],
            "Next": "d",
        },
        "d": {
            "Type": "Map",
            "MaxConcurrency": 2,
            "ItemProcessor": {"StartAt": "d item", "States": {"d item": task("d")}},
            "Next": "ok?",
        },
        "ok?": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.ok", "BooleanEquals": True, "Next": "x"}],
            "Default": "failed",
        },
        "x": {"Type": "Pass", "End": True},
        "failed": {"Type": "Fail", "Error": "E"},
    },
}
USAGE = Usage(memory_mb={"a": 128, "b": 256, "c": 512, "d": 1024}, items={"d": 5}, task_seconds=2)


def test_a_run_is_counted_by_hand() -> None:
    usage = run_usage(MACHINE, USAGE)
    # Start 1 + Parallel (1 + a 1 + b, c 2) + Map (1 + 5 items x 1) + Choice 1 + x 1 = 13.
    assert usage.transitions == 13
    assert usage.invocations == 3 + 5
    # 2 s x (0.125 + 0.25 + 0.5 GB) + 5 items x 2 s x 1 GB = 1.75 + 10 = 11.75 GB-s.
    assert usage.gb_seconds == pytest.approx(11.75)
    # max(a 2 s, b + c 4 s) + ceil(5 / 2) = 3 waves of 2 s = 10 s.
    assert usage.seconds == pytest.approx(10.0)
    assert usage.parallel_steps == 1 + 5


def test_costs_are_computed_by_hand() -> None:
    usage = run_usage(MACHINE, USAGE)
    result = estimate(
        usage,
        definition_bytes=2_000_000,
        data_bytes=1_000_000,
        runs_per_month=1000,
        architecture="arm64",
        prices=DEFAULT_PRICES,
    )
    # Standard: 13 x $0.025/1000 = $0.000325 a run, $0.325 for 1,000 runs.
    assert result.standard.workflow_run == pytest.approx(0.000325)
    assert result.standard.workflow_month == pytest.approx(0.325)
    # Lambda: 8 x $0.0000002 + 11.75 GB-s x $0.0000133334 = $0.00015826745 a run.
    assert result.standard.lambda_run == pytest.approx(0.00015826745)
    assert result.express.lambda_month == pytest.approx(0.15826745)
    # Express: 50 MB + 2 MB of definition + 1 MB x 6 steps = 58 MB → one 64 MB chunk; 10.0 s
    # → 0.625 GB-s x $0.06/3600 + one request $0.000001 = $0.0000114167 a run.
    assert result.express_memory_mb == pytest.approx(58.0)
    assert result.express_billed_mb == 64
    assert result.express_gb_seconds == pytest.approx(0.625)
    assert result.express.workflow_run == pytest.approx(0.0000114167, rel=1e-5)
    assert result.express.workflow_month == pytest.approx(0.0114167, rel=1e-5)
    # 3 MB x 6 steps = 18 MB more: 70 MB is billed as two chunks.
    bigger = estimate(
        usage,
        definition_bytes=2_000_000,
        data_bytes=3_000_000,
        runs_per_month=1,
        architecture="arm64",
        prices=DEFAULT_PRICES,
    )
    assert bigger.express_billed_mb == 128


@pytest.mark.parametrize(
    ("expression", "runs"),
    [
        ("rate(1 hour)", 730),  # AWS's pricing month: 730 hours
        ("rate(5 minutes)", 730 * 12),
        ("rate(2 days)", 730 / 48),
        ("cron(0 * * * ? *)", 730),  # every hour of 365 days, / 12
        ("cron(0 9 ? * MON-FRI *)", 261 / 12),  # 2027 has 261 weekdays
        ("cron(0/15 8-17 ? * 2-6 *)", 261 * 10 * 4 / 12),
        ("cron(0 12 L * ? *)", 1),
        ("cron(30 6 1,15 JAN,JUL ? *)", 4 / 12),
    ],
)
def test_runs_per_month(expression: str, runs: float) -> None:
    assert runs_per_month(expression) == pytest.approx(runs)


def test_one_time_and_uncountable_schedules() -> None:
    assert runs_per_month("at(2027-01-01T00:00:00)") is None
    with pytest.raises(ScheduleError, match="--runs-per-month"):
        runs_per_month("cron(0 12 ? * 6#3 *)")


def test_prices_are_overridden_by_a_file(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    prices = tmp_path / "prices.json"
    prices.write_text('{"region": "eu-west-1", "read_on": "2027-01-01", "standard_transition": 1}')
    monkeypatch.setenv("ORCHESTRATOR_PRICES", str(prices))
    loaded = load_prices()
    assert (loaded.region, loaded.standard_transition) == ("eu-west-1", 1.0)
    assert "2027-01-01" in loaded.describe()
    prices.write_text('{"standard_transitions": 1}')
    with pytest.raises(PathError, match="unknown: standard_transitions"):
        load_prices(prices)
