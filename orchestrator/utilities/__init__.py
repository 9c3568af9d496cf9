"""`orchestrator.utilities.aws`: Prefect 1.x's path, re-exported from `orchestrator.compat`."""
