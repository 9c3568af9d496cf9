"""The user-facing fixtures of `orchestrator.testing.fixtures`, as a user's project gets them.

A project enables them with ``pytest_plugins = ["orchestrator.testing.fixtures"]`` in its
top-level conftest; pytest allows ``pytest_plugins`` only there, so this directory imports them.
"""

from pathlib import Path

import pytest

from orchestrator.testing.fixtures import (  # noqa: F401  (fixtures, found by name)
    local_run,
    moto_sfn,
    moto_stack,
)
from tests.deploy.conftest import package_repo


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: takes a minute or more (a fresh venv, sam build)")


@pytest.fixture(scope="module")
def orchestrator_project_root() -> Path:
    """This repository, with the `infra/package/` its template names (a build output that a
    fresh clone lacks; CI runs `orchestrator build --check`, which writes nothing)."""
    return package_repo()
