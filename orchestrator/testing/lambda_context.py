"""A stand-in for Lambda's context object, for invoking the real entry point outside Lambda.

Powertools' `inject_lambda_context` and idempotency read these attributes (Powertools' testing
guide fakes the same ones). Light on purpose: a test may import it in a fresh interpreter that
plays a Lambda container.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from orchestrator.contract import LOCAL_ACCOUNT, LOCAL_REGION


@dataclass
class LambdaContext:
    """The parts of Lambda's context object the runtime and Powertools read."""

    function_name: str = "orchestrator-task"
    invoked_function_arn: str = ""
    memory_limit_in_mb: int = 128
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = ""
    remaining_millis: int = 900_000

    def __post_init__(self) -> None:
        if not self.invoked_function_arn:
            self.invoked_function_arn = (
                f"arn:aws:lambda:{LOCAL_REGION}:{LOCAL_ACCOUNT}:function:{self.function_name}"
            )

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_millis
