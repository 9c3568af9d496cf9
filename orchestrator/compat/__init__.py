"""Prefect 1.x compatibility: names the seed article's code uses, re-exported at Prefect's paths.

`orchestrator.executors` (`prefect.executors`) and `orchestrator.utilities.aws`
(`prefect.utilities.aws`) import from here; nothing else of the package depends on this one.
"""
