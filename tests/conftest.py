"""Suite-wide settings: runs are stored in a temporary run store, never in the working tree."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault(
    "ORCHESTRATOR_STORE", os.path.join(tempfile.mkdtemp(prefix="orchestrator-test-"), "runs.sqlite")
)
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
