"""`@task(idempotent=True)`: a repeated invocation of a completed attempt returns its stored result.

Step Functions invokes a task again after a lost response (`Lambda.ServiceException` once the
function had returned), a redrive, or a retry of a later failure in the same state. For a task
with side effects (a payment, an e-mail, an S3 write) the repeat must not happen twice; Powertools
idempotency records each completed call in DynamoDB and replays its result.

The key is execution ARN + task id + Map index, and deliberately not `$$.State.RetryCount`: a
retry is the very repeat that must be recognised. Different executions, tasks and Map iterations
are different work and get different keys. The table is `ORCHESTRATOR_IDEMPOTENCY_TABLE` (the
deploy layer creates it, `id` as hash key, TTL on `expiration`, and sets the variable exactly on
idempotent tasks' functions). Whether a task is idempotent is the code's `@task(idempotent=True)`;
the environment only says where the records go, and its absence is a deploy error.

Imported only when an idempotent task runs: Powertools idempotency pulls in boto3 (~0.3 s).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)

from orchestrator.contract import IDEMPOTENCY_EXPIRES_ENV, IDEMPOTENCY_TABLE_ENV
from orchestrator.engine.spec import REDRIVABLE_PERIOD_DAYS
from orchestrator.runtime.invocation import Invocation

# A failed Standard execution can be redriven for 14 days; a record must outlive that window.
DEFAULT_EXPIRES_SECONDS = REDRIVABLE_PERIOD_DAYS * 24 * 3600


class IdempotencyNotConfigured(RuntimeError):
    """An idempotent task runs in a function deployed without the idempotency table."""


def idempotency_key(invocation: Invocation) -> dict[str, Any]:
    """What identifies "the same work": hashed by Powertools into the record's id."""
    return {
        "execution_id": invocation.execution_id,
        "task": invocation.task,
        "map_index": invocation.map_index,
    }


def run_idempotent(
    task_key: str,
    invocation: Invocation,
    inputs: Any,
    call: Callable[[], Any],
    lambda_context: Any = None,
) -> Any:
    """Run `call` once per idempotency key; a repeat returns the first call's stored result.

    `task_key` (`module:qualname`) prefixes the record id, so tasks sharing a table never collide.
    `inputs` are checked on a repeat: the same key with other inputs is a bug (a redeploy that
    changed the flow under a running execution) and raises `IdempotencyValidationError`.
    Exceptions from `call` propagate unchanged and leave no record, so a retry runs again.
    Without the table, raises `IdempotencyNotConfigured` before anything runs.
    """
    table = _table()
    if invocation.execution_id is None:
        # Invoked outside a state machine (a console test event): nothing to deduplicate against.
        return call()
    config = IdempotencyConfig(
        event_key_jmespath="key",
        payload_validation_jmespath="inputs",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=int(
            os.environ.get(IDEMPOTENCY_EXPIRES_ENV) or DEFAULT_EXPIRES_SECONDS
        ),
    )
    if callable(getattr(lambda_context, "get_remaining_time_in_millis", None)):
        # An attempt killed by its timeout leaves an in-progress record; with the context,
        # the record expires with the invocation, so the state's retry is not refused.
        config.register_lambda_context(lambda_context)

    @idempotent_function(
        data_keyword_argument="request",
        persistence_store=_persistence(table, task_key),
        config=config,
        key_prefix=task_key,
    )
    def once(request: dict[str, Any]) -> dict[str, Any]:
        # Boxed: Powertools replays a falsy stored result (0, "", [], False) as None.
        return {"value": call()}

    return once(request={"key": idempotency_key(invocation), "inputs": inputs})["value"]


def _table() -> str:
    table = os.environ.get(IDEMPOTENCY_TABLE_ENV)
    if not table:
        raise IdempotencyNotConfigured(
            f"this task is idempotent but {IDEMPOTENCY_TABLE_ENV} is not set; run "
            "`orchestrator build` and redeploy so the function gets the idempotency table"
        )
    return table


@lru_cache(maxsize=64)
def _persistence(table: str, task_key: str) -> DynamoDBPersistenceLayer:
    # One layer per task, reused across warm invocations (its boto3 client is the slow part).
    # Not shared between tasks: Powertools stores the key prefix on the layer itself.
    return DynamoDBPersistenceLayer(table_name=table)
