"""Prefect 1.x's `prefect.utilities.aws` spelling of the seed's Lambda deploy.

See `compat/lambda_deploy.py`."""

from orchestrator.compat.lambda_deploy import *  # noqa: F403
from orchestrator.compat.lambda_deploy import __all__ as __all__
