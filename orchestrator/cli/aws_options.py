"""The options every command that can act on a deployed stage shares: `--aws [--stage S]
[--profile P] [--region R]`, and the time window `--since` of `runs list`.

Without `--aws` a command looks at local runs, and the other three options are a mistake worth
saying (`--stage prod` alone would otherwise silently show local runs).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from orchestrator.errors import ParameterError

if TYPE_CHECKING:
    from orchestrator.aws import Deployment

AwsFlag = Annotated[
    bool,
    typer.Option(
        "--aws",
        help="Act on the deployed stage (Step Functions, Lambda, CloudWatch Logs) instead of "
        "local runs.",
    ),
]
StageOption = Annotated[
    str | None,
    typer.Option(
        "--stage",
        "-s",
        show_default=False,
        help="With --aws: the stage, i.e. the stack <project>-<stage> (default: dev, or "
        "ORCHESTRATOR_STAGE).",
    ),
]
ProfileOption = Annotated[
    str | None,
    typer.Option("--profile", help="With --aws: the AWS credentials profile (else boto3's)."),
]
RegionOption = Annotated[
    str | None,
    typer.Option(
        "--region",
        help="With --aws: the AWS region (default: the stage's, in infra/samconfig.toml).",
    ),
]


@dataclass(frozen=True)
class AwsTarget:
    """What `--aws`, `--stage`, `--profile` and `--region` said."""

    aws: bool
    stage: str | None = None
    profile: str | None = None
    region: str | None = None

    def check(self, command: str) -> bool:
        """Whether to act on AWS; a ParameterError for AWS options given without --aws."""
        if not self.aws:
            given = [
                flag
                for flag, value in (
                    ("--stage", self.stage),
                    ("--profile", self.profile),
                    ("--region", self.region),
                )
                if value is not None
            ]
            if given:
                raise ParameterError(
                    f"{' and '.join(given)} apply to `orchestrator {command} --aws`; add --aws "
                    "to act on the deployed stage"
                )
        return self.aws

    def require(self, command: str, local: str) -> None:
        """Refuse the command without --aws; `local` says why it has nothing to do locally."""
        if not self.check(command):
            raise ParameterError(f"`orchestrator {command}` needs --aws: {local}")

    def connect(self, root: Path | None = None) -> Deployment:
        from orchestrator.aws import connect

        return connect(self.stage, root=root, profile=self.profile, region=self.region)

    def flags(self, deployment: Deployment) -> str:
        """The options that name this stage again, for a command line in a message."""
        return f" --aws --stage {deployment.stage}"


_DURATION = re.compile(r"(\d+)\s*([smhdw])\Z")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """`30m`, `2h`, `7d`, `1w` ago, or an ISO date/time (local time unless it says); aware."""
    now = now or datetime.now(UTC)
    match = _DURATION.match(text.strip().lower())
    if match:
        return now - timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ParameterError(
            f"--since {text!r} is neither a duration nor a date: use e.g. 30m, 2h, 7d, 1w, "
            "2024-11-11 or 2024-11-11T08:00+08:00"
        ) from None
    return moment if moment.tzinfo else moment.astimezone()
