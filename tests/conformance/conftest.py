"""Fixtures shared by the conformance tests: one moto account per test module (per xdist worker)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from orchestrator.testing.moto import MotoStepFunctions


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: takes real seconds (task timeouts)")


@pytest.fixture(scope="module")
def moto_sfn() -> Iterator[MotoStepFunctions]:
    # Starting moto and creating its Lambdas costs about a second; every case of a module shares it.
    with MotoStepFunctions(record_sleeps=True) as sfn:
        yield sfn
