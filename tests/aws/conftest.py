"""The `--aws` tests: this repository deployed into moto and served over HTTP (`moto_server`).

`moto_server` (orchestrator.testing.fixtures) deploys the committed `template.yaml` as the stack
of stage "test" (`orchestrator-test`) once per module, and points AWS_ENDPOINT_URL at a moto
server in this process; the commands under test find the stack, its outputs and its executions
through boto3 as they would on AWS.
"""

from pathlib import Path

import pytest

from orchestrator.testing.fixtures import (  # noqa: F401  (fixtures, found by name)
    local_run,
    moto_server,
    orchestrator_stage,
)
from tests.deploy.conftest import package_repo


@pytest.fixture(scope="module")
def orchestrator_project_root() -> Path:
    """This repository, with the `infra/package/` its template names (a build output)."""
    return package_repo()
