"""Prefect 1.x's `prefect.utilities.aws` spelling of the seed's Lambda deploy.

See `compat/lambda_deploy.py`."""

from orchestrator.compat.lambda_deploy import (
    run_on_lambda,
)

__all__ = [
    "run_on_lambda",
]
