"""Errors of the deploy step that are not a mistake in one flow's definition."""

from __future__ import annotations

from orchestrator.errors import OrchestratorError


class DeployError(OrchestratorError):
    """The generated artifacts would not deploy or do not agree (e.g. a missing substitution)."""


class ValidationFailed(OrchestratorError):
    """A validator (statelint, cfn-lint, sam validate) reported problems."""
