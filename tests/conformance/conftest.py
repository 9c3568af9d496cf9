"""Fixtures shared by the conformance tests: one moto account per test module (per xdist worker)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from orchestrator.testing.moto import MotoStepFunctions

from .handlers import release_blocked


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: takes real seconds (task timeouts)")


@pytest.fixture(autouse=True)
def _release_blocked_handlers() -> Iterator[None]:
    # A task that timed out was abandoned, not stopped: let its handler return now, while the
    # module's moto account is still up, rather than some time later in another test.
    yield
    release_blocked()


@pytest.fixture(scope="module")
def moto_sfn() -> Iterator[MotoStepFunctions]:
    # Starting moto and creating its Lambdas costs about a second; every case of a module shares it.
    with MotoStepFunctions(record_sleeps=True) as sfn:
        yield sfn
