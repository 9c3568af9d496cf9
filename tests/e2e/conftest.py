"""The user-facing fixtures of `orchestrator.testing.fixtures`, as a user's project gets them.

A project enables them with ``pytest_plugins = ["orchestrator.testing.fixtures"]`` in its
top-level conftest; pytest allows ``pytest_plugins`` only there, so this directory imports them.
"""

from orchestrator.testing.fixtures import (  # noqa: F401  (fixtures, found by name)
    local_run,
    moto_sfn,
    moto_stack,
    orchestrator_project_root,
)
