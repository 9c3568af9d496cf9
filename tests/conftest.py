"""Suite-wide settings: runs and large results go to temporary folders, not the working tree."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault(
    "ORCHESTRATOR_STORE", os.path.join(tempfile.mkdtemp(prefix="orchestrator-test-"), "runs.sqlite")
)
os.environ.setdefault(
    "ORCHESTRATOR_RESULTS_DIR", os.path.join(tempfile.mkdtemp(prefix="orchestrator-results-"))
)
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
