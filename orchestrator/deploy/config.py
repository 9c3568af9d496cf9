"""`[tool.orchestrator]` in pyproject.toml: which flows ship, and the deploy knobs around them.

Only the options the template needs are read here; every one has a default, so a project that
lists its flows and nothing else gets a complete, valid template.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrator.errors import FlowDefinitionError
from orchestrator.loader import project_settings

ARCHITECTURES = ("arm64", "x86_64")


@dataclass(frozen=True)
class DeployConfig:
    """The deploy options of a project (all under `[tool.orchestrator]`)."""

    root: Path
    flows: tuple[str, ...]
    # arm64 (Graviton) is ~20% cheaper per GB-second and the code is pure Python.
    architecture: str = "arm64"
    default_memory: int = 256
    # A task without `timeout=` still needs a Lambda Timeout; 60 s rather than Lambda's 3 s
    # default, because a cold start of pydantic + powertools alone can take a second or two.
    default_timeout: int = 60
    results_expiry_days: int = 30
    log_retention_days: int = 30
    alias: str = "live"
    service: str = "orchestrator"

    @property
    def pyproject(self) -> Path:
        return self.root / "pyproject.toml"


def read_config(root: Path) -> DeployConfig:
    """Read `root/pyproject.toml`; raise a FlowDefinitionError naming the bad option."""
    section = project_settings(root / "pyproject.toml")
    flows = section["flows"]
    arch = section.get("architecture", DeployConfig.architecture)
    if arch not in ARCHITECTURES:
        raise FlowDefinitionError(
            f"[tool.orchestrator] architecture = {arch!r} is not a Lambda architecture",
            fix='use "arm64" or "x86_64"',
        )
    return DeployConfig(
        root=root,
        flows=tuple(flows),
        architecture=arch,
        default_memory=_int(section, "default_memory", DeployConfig.default_memory, 128, 10240),
        default_timeout=_int(section, "default_timeout", DeployConfig.default_timeout, 1, 900),
        results_expiry_days=_int(
            section, "results_expiry_days", DeployConfig.results_expiry_days, 1, 36500
        ),
        log_retention_days=_retention(section),
        alias=str(section.get("alias", DeployConfig.alias)),
        service=str(section.get("service", DeployConfig.service)),
    )


def _int(section: dict[str, Any], key: str, default: int, low: int, high: int) -> int:
    value = section.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise FlowDefinitionError(
            f"[tool.orchestrator] {key} = {value!r} is not an integer in [{low}, {high}]",
            fix=f"remove it (default {default}) or set a value in range",
        )
    return value


# The only values CloudWatch Logs accepts for RetentionInDays.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827)


def _retention(section: dict[str, Any]) -> int:
    value = section.get("log_retention_days", DeployConfig.log_retention_days)
    if value not in LOG_RETENTION_DAYS or isinstance(value, bool):
        raise FlowDefinitionError(
            f"[tool.orchestrator] log_retention_days = {value!r} is not a CloudWatch retention",
            fix="use one of " + ", ".join(map(str, LOG_RETENTION_DAYS)),
        )
    return int(value)
