"""`orchestrator cost` on a shipped flow: 大促监控, hourly."""

from __future__ import annotations

import re
from pathlib import Path

from typer.testing import CliRunner

from orchestrator.cli import USER_ERROR_EXIT, app

PROMO = "functions.promo_monitor:promo_monitor"


def figures(output: str, label: str) -> list[str]:
    line = next(line for line in output.splitlines() if line.strip().startswith(label))
    return re.findall(r"\$?[\d,.]+", line[len(label) + 2 :])


def test_promo_monitor_on_its_hourly_schedule() -> None:
    result = CliRunner().invoke(app, ["cost", PROMO])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "estimate" in out and "rate(1 hour) → 730 runs" in out
    # States entered by one run (infra/statemachines/DaCuJianKong-ac6e9f.asl.json): Parallel 1,
    # realtime_clicks, payment_events, enrich_data, calculate_stats, Parallel 2, trigger_alert,
    # update_dashboard = 8 (no bookkeeping Pass states); x 730 hourly runs = 5,840.
    assert figures(out, "state transitions") == ["8", "5,840"]
    assert figures(out, "Lambda invocations") == ["6", "4,380"]
    # 6 tasks x 256 MB (the default memory) x 1 s = 1.5 GB-s; x 730 = 1,095.
    assert figures(out, "Lambda GB-seconds") == ["1.5", "1,095"]
    # Standard: 8 x $0.000025 = $0.0002 a run; 5,840 x $0.000025 = $0.146 a month.
    assert figures(out, "Standard workflow") == ["$0.0002000", "$0.1460"]
    assert "us-east-1 prices read on" in out


def test_runs_per_month_and_items_are_honoured() -> None:
    result = CliRunner().invoke(app, ["cost", PROMO, "--runs-per-month", "100"])
    assert figures(result.output, "state transitions") == ["8", "800"]
    shards = CliRunner().invoke(
        app, ["cost", "functions.dynamic_shards:dynamic_shards", "--items", "7"]
    )
    assert "7 items each (--items)" in shards.output


def test_a_bad_prices_file_is_one_error_line(tmp_path: Path) -> None:
    prices = tmp_path / "prices.json"
    prices.write_text("not json")
    result = CliRunner().invoke(app, ["cost", PROMO, "--prices", str(prices)])
    assert result.exit_code == USER_ERROR_EXIT
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "prices.json" in errors[0]


def test_a_bad_schedule_is_one_error_line_naming_the_flow() -> None:
    result = CliRunner().invoke(app, ["cost", PROMO, "--schedule", "rate(0 hours)"])
    assert result.exit_code == USER_ERROR_EXIT
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "大促监控" in errors[0] and "rate(0 hours)" in errors[0]
