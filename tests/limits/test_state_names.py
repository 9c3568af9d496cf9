"""State names as AWS bounds them, for the longest and most repeated task names.

The API reference (StateEnteredEventDetails, "name: Length Constraints: Minimum length of 1.
Maximum length of 80") bounds a state's name at 80 characters, and the Amazon States Language
specification requires state names to be unique within the whole state machine (branches and
item processors included: the history names a state by its name alone). The character
restrictions of the "Quotas" page (no whitespace, brackets, wildcards, special or control
characters) are for the names of state machines, executions, activities and Map Run labels,
not for state names: AWS's own examples name states "Hello World"; control characters are
refused everywhere, so none may appear.
"""

from __future__ import annotations

import re
import warnings
from collections import Counter

from orchestrator import Flow, task
from orchestrator.deploy.statemachines import states_of
from orchestrator.engine.spec import STATE_MACHINE_NAME_PATTERN
from orchestrator.triggers import any_failed

LONG = "a_task_whose_name_is_far_longer_than_any_aws_name_may_be_" * 3
MAX_STATE_NAME = 80  # StateEnteredEventDetails.name: "Maximum length of 80"
CONTROL = re.compile("[\u0000-\u001f\u007f-\u009f]")


def pair(x: object = None) -> list[int]:
    return [1, 2]


def join(x: object = None, y: object = None) -> list[int]:
    return [1, 2]


def extreme_flow() -> Flow:
    first, second = task(name=LONG + "1")(pair), task(name=LONG + "2")(pair)
    zipped = task(name=LONG + "zip")(join)
    cleanup = task(name=LONG + "cleanup", trigger=any_failed)(join)
    with Flow("推荐系统 " + LONG) as flow:
        a = first()
        b = first(a)  # the same task twice: ids get a suffix
        c = first(b)
        d = second(a)
        m = zipped.map(c, d)  # zipped iterables: a length check with its own states
        cleanup(m, upstream_tasks=[c])
    return flow


def test_state_names_fit_80_characters_and_are_unique() -> None:
    flow = extreme_flow()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        names = [name for name, _ in states_of(flow.asl())]
    assert len(names) > 10
    too_long = [n for n in names if len(n) > MAX_STATE_NAME]
    assert not too_long
    assert [n for n, k in Counter(names).items() if k > 1] == []
    assert not [n for n in names if CONTROL.search(n)]


def test_the_machine_name_fits_the_documented_pattern() -> None:
    # CreateStateMachine's name: 1-80 characters, and only 0-9 A-Z a-z - _ for CloudWatch Logs
    # (which every machine here logs to).
    assert re.fullmatch(STATE_MACHINE_NAME_PATTERN, extreme_flow().graph.resource_name)
