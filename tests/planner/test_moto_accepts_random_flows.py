"""Every definition the planner emits is one CreateStateMachine accepts: 200 random flows are
created in moto, whose ASL parser is the grammar LocalStack records against AWS (statelint, run
on the same flows in test_statelint.py, checks the specification's rules; this checks a parser)."""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterator
from itertools import count

import pytest
from hypothesis import HealthCheck, given, settings

from orchestrator.contract import PLACEHOLDER, RESULTS_BUCKET_SUBSTITUTION
from orchestrator.planner import SynchronisationAdded
from orchestrator.testing.moto import MotoStepFunctions
from tests.flowgen import GeneratedFlow, random_flows

FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:{}:1"
_names = count(1)


@pytest.fixture(scope="module")
def sfn() -> Iterator[MotoStepFunctions]:
    with MotoStepFunctions() as harness:
        yield harness


def substituted(text: str, bucket: str) -> str:
    """The definition as DefinitionSubstitutions makes it: function versions and the bucket."""

    def value(match: re.Match[str]) -> str:
        key = match.group(1)
        return bucket if key == RESULTS_BUCKET_SUBSTITUTION else FUNCTION_ARN.format(key)

    return PLACEHOLDER.sub(value, text)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(gen=random_flows())
def test_moto_creates_every_random_flows_state_machine(
    sfn: MotoStepFunctions, gen: GeneratedFlow
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SynchronisationAdded)
        text = json.dumps(gen.flow.asl())
    created = sfn.sfn.create_state_machine(
        name=f"random-{next(_names)}",
        definition=substituted(text, sfn.results_bucket),
        roleArn=sfn.role_arn,
        type="STANDARD",
    )
    assert created["stateMachineArn"].startswith("arn:aws:states:")
