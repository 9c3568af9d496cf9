"""Suite-wide settings: runs and large results go to temporary folders, not the working tree."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator

import pytest

os.environ.setdefault(
    "ORCHESTRATOR_STORE", os.path.join(tempfile.mkdtemp(prefix="orchestrator-test-"), "runs.sqlite")
)
os.environ.setdefault(
    "ORCHESTRATOR_RESULTS_DIR", os.path.join(tempfile.mkdtemp(prefix="orchestrator-results-"))
)
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")


@pytest.fixture
def isolated_imports(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """Each test imports its own flow files from tmp_path; none leaks into the next one."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    yield
    base = str(tmp_path_factory.getbasetemp())
    for name, module in list(sys.modules.items()):
        if (getattr(module, "__file__", None) or "").startswith(base):
            del sys.modules[name]
