"""pytest fixtures for testing Orchestrator flows: locally, in moto, and as a deployed template.

Enable them in the project's top-level ``conftest.py`` (pytest reads ``pytest_plugins`` only
there)::

    pytest_plugins = ["orchestrator.testing.fixtures"]

* `local_run` — ``local_run(flow, params)`` runs the flow with the local engine on a virtual clock
  (retry delays and Wait states take no time) and no run store, and returns the ``FlowRun``.
* `moto_sfn` — a fresh moto account (`MotoStepFunctions`) per test; `run_flow_in_moto` from
  `orchestrator.testing.flows` executes a flow's compiled ASL there.
* `moto_stack` — the project's built ``template.yaml`` deployed into moto once per test module
  (`orchestrator.testing.stack.deploy_template_to_moto`); ``moto_stack.execute(resource_name,
  input)`` runs a flow's state machine, its functions running the real Lambda handler.
  Override `orchestrator_project_root` to deploy another project than pytest's rootdir.

* `moto_server` — the project's template deployed into moto as the stack of stage
  `orchestrator_stage` (default "test": `<project>-test`) and served over HTTP by moto's
  server in this process, with `AWS_ENDPOINT_URL` pointing at it for the module
  (`orchestrator.testing.moto_server`): `orchestrator run --aws --stage test`, `runs --aws`,
  `logs`, `stop` and `StepFunctionsExecutor(stage="test")` work against it unchanged.

`moto_stack` and `moto_server` keep their moto account for the whole module; use one of them
per module, and `moto_sfn` in other modules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from orchestrator.testing.moto import MotoStepFunctions
from orchestrator.testing.moto_server import MotoServer, serve_stack
from orchestrator.testing.stack import MotoStack, deploy_template_to_moto

if TYPE_CHECKING:
    from orchestrator.local.flowrun import FlowRun
    from orchestrator.sdk.flow import Flow

__all__ = [
    "LocalRun",
    "local_run",
    "moto_server",
    "moto_sfn",
    "moto_stack",
    "orchestrator_project_root",
    "orchestrator_stage",
]

LocalRun = Callable[..., "FlowRun"]


@pytest.fixture
def local_run() -> LocalRun:
    """``local_run(flow, params=None)`` → the ``FlowRun`` of a local run on a virtual clock."""
    from orchestrator.local import run_flow

    def run(flow: Flow, params: dict[str, Any] | None = None) -> FlowRun:
        # No run store: a test must not write .orchestrator/runs.sqlite into the project.
        return run_flow(flow.local_machine(), params or {}, clock="virtual", store=False)

    return run


@pytest.fixture
def moto_sfn() -> Iterator[MotoStepFunctions]:
    """A moto account with Step Functions executing ASL; retry and Wait sleeps are recorded."""
    with MotoStepFunctions(record_sleeps=True) as harness:
        yield harness


@pytest.fixture(scope="module")
def orchestrator_project_root(request: pytest.FixtureRequest) -> Path:
    """The project whose ``template.yaml`` `moto_stack` deploys: pytest's rootdir by default."""
    return Path(request.config.rootpath)


@pytest.fixture(scope="module")
def moto_stack(orchestrator_project_root: Path) -> Iterator[MotoStack]:
    """The project's built template deployed into moto, shared by the tests of one module."""
    template = orchestrator_project_root / "template.yaml"
    if not template.is_file():
        pytest.fail(f"{template} does not exist: run `orchestrator build` first")
    with deploy_template_to_moto(template, orchestrator_project_root) as stack:
        yield stack


@pytest.fixture(scope="module")
def orchestrator_stage() -> str:
    """The stage `moto_server` deploys the project as (its stack: `<project>-<stage>`)."""
    return "test"


@pytest.fixture(scope="module")
def moto_server(orchestrator_project_root: Path, orchestrator_stage: str) -> Iterator[MotoServer]:
    """The project's built template deployed as stage `orchestrator_stage` into a fresh moto
    account and served over HTTP (`AWS_ENDPOINT_URL` set), shared by the tests of one module;
    `moto_server.stack` is the deployed `MotoStack`."""
    from orchestrator.deploy.stages import project_name, stack_name

    root = orchestrator_project_root
    template = root / "template.yaml"
    if not template.is_file():
        pytest.fail(f"{template} does not exist: run `orchestrator build` first")
    stack = stack_name(project_name(root), orchestrator_stage)
    with (
        deploy_template_to_moto(template, root, stack_name=stack) as deployed,
        serve_stack(deployed) as server,
    ):
        yield server
