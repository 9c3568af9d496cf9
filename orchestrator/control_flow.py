"""`case` and `merge`, at their public path — Prefect 1.x's `prefect.tasks.control_flow`.

The implementation lives in `sdk/control.py`.
"""

from orchestrator.sdk.control import *  # noqa: F403
from orchestrator.sdk.control import __all__ as __all__
