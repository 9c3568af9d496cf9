"""How the CLI words the end of a run that did not succeed."""

from __future__ import annotations

from orchestrator.cli.causes import run_cause


def test_a_timed_out_run_says_how_long_it_ran() -> None:
    # A TIMED_OUT execution has no error or cause (as DescribeExecution reports one in AWS).
    cause = run_cause("TIMED_OUT", None, None, 30.0)
    assert cause.headline == "timed out after 30 s (the state machine's TimeoutSeconds)"


def test_a_failed_run_reads_its_error_and_cause() -> None:
    assert run_cause("FAILED", "States.Runtime", "bad path").headline == "States.Runtime: bad path"
    payload = '{"errorMessage":"declined","errorType":"PaymentFailed","requestId":"r"}'
    assert run_cause("FAILED", "PaymentFailed", payload).headline == "PaymentFailed: declined"
