"""`[tool.orchestrator]` in pyproject.toml: the project's flows and the defaults around them.

Every key has a default, so a project that lists its flows and nothing else gets a complete,
valid template. The task defaults (`default_timeout`, `default_memory`) are settled into each
task's options before the planner runs (`orchestrator.options.settle`); a flow finds its project
by looking for the nearest pyproject.toml with a `[tool.orchestrator]` table above its source
file (then above the working directory), so `flow.run()`, `orchestrator run` and
`orchestrator build` settle the same values.
"""

from __future__ import annotations

import tomllib
from dataclasses import field
from functools import lru_cache
from pathlib import Path
from typing import Any

from orchestrator.engine.spec import LAMBDA_MAX_TIMEOUT_SECONDS, LAMBDA_MEMORY_MB
from orchestrator.errors import FlowDefinitionError
from orchestrator.options import DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_SECONDS, TaskDefaults
from orchestrator.records import record

PYPROJECT = "pyproject.toml"
ARCHITECTURES = ("arm64", "x86_64")
# The only values CloudWatch Logs accepts for RetentionInDays.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827)
FLOWS_EXAMPLE = '[tool.orchestrator] with flows = ["package.module:flow", ...]'
#: Every key `[tool.orchestrator]` may hold; any other is a typo, refused with a did-you-mean
#: rather than silently ignored. A new setting is added here and read in `read_settings`.
KEYS = (
    "flows",
    "default_timeout",
    "default_memory",
    "architecture",
    "results_expiry_days",
    "log_retention_days",
    "alias",
    "service",
)


@record(frozen=True)
class ProjectSettings:
    """The options of a project (all under `[tool.orchestrator]`)."""

    root: Path
    flows: tuple[str, ...] = ()
    task_defaults: TaskDefaults = field(default_factory=TaskDefaults)
    # arm64 (Graviton) is ~20% cheaper per GB-second and the code is pure Python.
    architecture: str = "arm64"
    results_expiry_days: int = 30
    log_retention_days: int = 30
    alias: str = "live"
    service: str = "orchestrator"

    @property
    def pyproject(self) -> Path:
        return self.root / PYPROJECT


def read_settings(pyproject: Path, *, need_flows: bool = True) -> ProjectSettings:
    """Read `pyproject`'s `[tool.orchestrator]`; a FlowDefinitionError names a bad key."""
    section = _section(pyproject)
    if section is None:
        section = {}
    _check_keys(pyproject, section)
    flows = section.get("flows")
    if flows is None and need_flows:
        raise FlowDefinitionError(
            f"{pyproject} has no [tool.orchestrator] flows list", fix=f"add {FLOWS_EXAMPLE}"
        )
    if flows is not None and (
        not isinstance(flows, list) or not flows or not all(isinstance(s, str) for s in flows)
    ):
        raise FlowDefinitionError(
            f"[tool.orchestrator] flows in {pyproject} is not a non-empty list of strings",
            fix=f"write it as {FLOWS_EXAMPLE}",
        )
    arch = section.get("architecture", ProjectSettings.architecture)
    if arch not in ARCHITECTURES:
        raise FlowDefinitionError(
            f"[tool.orchestrator] architecture = {arch!r} is not a Lambda architecture",
            fix='use "arm64" or "x86_64"',
        )
    return ProjectSettings(
        root=pyproject.resolve().parent,
        flows=tuple(flows or ()),
        task_defaults=TaskDefaults(
            timeout=_int(
                section, "default_timeout", DEFAULT_TIMEOUT_SECONDS, 1, LAMBDA_MAX_TIMEOUT_SECONDS
            ),
            memory=_int(section, "default_memory", DEFAULT_MEMORY_MB, *LAMBDA_MEMORY_MB),
        ),
        architecture=arch,
        results_expiry_days=_int(
            section, "results_expiry_days", ProjectSettings.results_expiry_days, 1, 36500
        ),
        log_retention_days=_retention(section),
        alias=str(section.get("alias", ProjectSettings.alias)),
        service=str(section.get("service", ProjectSettings.service)),
    )


def find_pyproject(*starts: Path) -> Path | None:
    """The nearest pyproject.toml with a `[tool.orchestrator]` table, above each start in turn."""
    for start in starts:
        for folder in (start, *start.parents):
            candidate = folder / PYPROJECT
            if candidate.is_file() and _section(candidate) is not None:
                return candidate
    return None


def project_of(source: str | None) -> ProjectSettings | None:
    """The project the file `source` belongs to (else the working directory's), or None."""
    starts = [Path(source).resolve().parent] if source else []
    found = find_pyproject(*starts, Path.cwd())
    return None if found is None else read_settings(found, need_flows=False)


def lists_flow(settings: ProjectSettings, module: str | None, source: str | None) -> bool:
    """Whether `[tool.orchestrator] flows` names the flow defined in `module` (dotted specs) or
    in the file `source` (path specs) — what `orchestrator build` compiles and commits."""
    for spec in settings.flows:
        target = spec.rpartition(":")[0] if ":" in spec else spec
        if target.endswith(".py") or "/" in target:
            if source and (settings.root / target).resolve() == Path(source).resolve():
                return True
        elif target == module:
            return True
    return False


def _section(pyproject: Path) -> dict[str, Any] | None:
    try:
        stat = pyproject.stat()
    except FileNotFoundError:
        raise FlowDefinitionError(
            f"{pyproject} does not exist",
            fix="run from the project root or pass the path of its pyproject.toml",
        ) from None
    return _parse(pyproject.resolve(), stat.st_mtime_ns)


@lru_cache(maxsize=32)
def _parse(pyproject: Path, _mtime: int) -> dict[str, Any] | None:
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise FlowDefinitionError(
            f"{pyproject} is not valid TOML: {err}", fix="fix the file"
        ) from None
    section = data.get("tool", {}).get("orchestrator")
    return section if isinstance(section, dict) else None


def _check_keys(pyproject: Path, section: dict[str, Any]) -> None:
    unknown = sorted(set(section) - set(KEYS))
    if not unknown:
        return
    key = unknown[0]
    import difflib  # only for a misspelt key

    close = difflib.get_close_matches(key, KEYS, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise FlowDefinitionError(
        f"[tool.orchestrator] in {pyproject} has an unknown key {key!r}",
        fix=f"{hint}the keys are: {', '.join(KEYS)}",
    )


def _int(section: dict[str, Any], key: str, default: int, low: int, high: int) -> int:
    value = section.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise FlowDefinitionError(
            f"[tool.orchestrator] {key} = {value!r} is not an integer in [{low}, {high}]",
            fix=f"remove it (default {default}) or set a value in range",
        )
    return value


def _retention(section: dict[str, Any]) -> int:
    value = section.get("log_retention_days", ProjectSettings.log_retention_days)
    if value not in LOG_RETENTION_DAYS or isinstance(value, bool):
        raise FlowDefinitionError(
            f"[tool.orchestrator] log_retention_days = {value!r} is not a CloudWatch retention",
            fix="use one of " + ", ".join(map(str, LOG_RETENTION_DAYS)),
        )
    return int(value)
