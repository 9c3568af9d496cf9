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

`moto_stack` keeps its moto account for the whole module; use `moto_sfn` in other modules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from orchestrator.testing.moto import MotoStepFunctions
from orchestrator.testing.stack import MotoStack, deploy_template_to_moto

if TYPE_CHECKING:
    from orchestrator.local.flowrun import FlowRun
    from orchestrator.sdk.flow import Flow

__all__ = ["LocalRun", "local_run", "moto_sfn", "moto_stack", "orchestrator_project_root"]

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
