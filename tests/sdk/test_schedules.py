"""Unix 5-field cron → EventBridge Scheduler cron: the day-of-week renumbering and its refusals.

Expected values come from the AWS cron reference (EventBridge "Cron expressions reference" and
Scheduler "Schedule types"): six fields `minutes hours day-of-month month day-of-week year`;
day-of-week is 1-7 (1 = SUN) or SUN-SAT with the wildcards `, - * ? L #` (no `/`, unlike the
other fields); exactly one of day-of-month and day-of-week is `?`. Unix day-of-week is 0-7
(0 and 7 = SUN) or SUN-SAT, and `*/n`, `a-b/n` select every n-th day of the range.
"""

from __future__ import annotations

import re

import pytest

from orchestrator.errors import FlowDefinitionError, ScheduleError
from orchestrator.sdk.schedules import CronSchedule, parse_schedule


def _dow(unix_dow: str) -> str:
    """The AWS day-of-week field `CronSchedule` makes of `0 9 * * <unix_dow>`."""
    expression = CronSchedule(f"0 9 * * {unix_dow}").expression
    match = re.fullmatch(r"cron\(0 9 \? \* (\S+) \*\)", expression)
    assert match, expression
    return match.group(1)


@pytest.mark.parametrize(
    ("unix", "aws"),
    [
        # single days shift by one; Sunday is 0 or 7 in Unix and 1 in AWS
        ("0", "1"),
        ("7", "1"),
        ("1", "2"),
        ("6", "7"),
        ("0,7", "1"),
        # ranges shift both ends
        ("1-5", "2-6"),
        ("0-6", "1-7"),
        ("0-7", "1-7"),
        ("1-7", "1-7"),  # MON..SAT plus Sunday-as-7: every day
        # a range ending at Sunday-as-7 wraps past AWS's Saturday 7, so it becomes a list
        ("5-7", "1,6,7"),  # FRI, SAT, SUN
        ("6-7", "1,7"),  # SAT, SUN
        # lists shift each item
        ("1,3,5", "2,4,6"),
        ("0,6", "1,7"),
        ("MON,3", "MON,4"),
        # steps select days (Unix */2 = SUN,TUE,THU,SAT); AWS has no '/' in day-of-week
        ("*/2", "1,3,5,7"),
        ("*/3", "1,4,7"),  # SUN, WED, SAT
        ("*/1", "1-7"),
        ("1-5/2", "2,4,6"),  # MON, WED, FRI
        ("2-7/2", "3,5,7"),  # TUE, THU, SAT
        ("MON-FRI/2", "2,4,6"),
        # names are the same days in both dialects
        ("MON-FRI", "MON-FRI"),
        ("mon-fri", "MON-FRI"),
        ("sun", "SUN"),
        ("Sat,sun", "SAT,SUN"),
        ("MON-5", "2-6"),
    ],
)
def test_day_of_week_is_renumbered(unix: str, aws: str) -> None:
    assert _dow(unix) == aws


def test_every_other_day_expression() -> None:
    # Unix */2 over 0-6 is SUN, TUE, THU, SAT = AWS 1, 3, 5, 7 (the bug made it */3).
    assert CronSchedule("0 9 * * */2").expression == "cron(0 9 ? * 1,3,5,7 *)"


def test_weekdays_expression() -> None:
    assert CronSchedule("0 9 * * 1-5").expression == "cron(0 9 ? * 2-6 *)"
    assert CronSchedule("30 6 * * MON-FRI").expression == "cron(30 6 ? * MON-FRI *)"


def test_day_of_month_schedule_puts_question_mark_in_day_of_week() -> None:
    assert CronSchedule("0 9 * * *").expression == "cron(0 9 * * ? *)"
    assert CronSchedule("0 0 1 * *").expression == "cron(0 0 1 * ? *)"
    assert CronSchedule("15 */2 */3 JAN-JUN *").expression == "cron(15 */2 */3 JAN-JUN ? *)"


def test_other_fields_and_timezone_unchanged() -> None:
    schedule = CronSchedule("*/15 8-17 * * 1-5", timezone="Europe/Paris")
    assert schedule.expression == "cron(*/15 8-17 ? * 2-6 *)"
    assert schedule.timezone == "Europe/Paris"


def test_parse_schedule_converts_unix_strings_the_same_way() -> None:
    schedule = parse_schedule("0 9 * * */2")
    assert schedule is not None
    assert schedule.expression == "cron(0 9 ? * 1,3,5,7 *)"


def test_aws_form_is_not_renumbered() -> None:
    # Inside cron(...) the fields are AWS's already: 2-6 stays MON-FRI.
    assert CronSchedule("cron(0 9 ? * 2-6 *)").expression == "cron(0 9 ? * 2-6 *)"
    assert CronSchedule("0 9 ? * MON#2 *").expression == "cron(0 9 ? * MON#2 *)"


@pytest.mark.parametrize(
    ("cron", "message"),
    [
        (
            "0 9 1 * 1",
            r"cron '0 9 1 \* 1' restricts both day-of-month and day-of-week, which Unix cron "
            r"reads as 'either day matches'\. Fix: AWS cron cannot express that",
        ),
        (
            "0 9 1-7 * MON",
            r"restricts both day-of-month and day-of-week",
        ),
        (
            "0 9 */2 * 1-5",
            r"restricts both day-of-month and day-of-week",
        ),
        (
            "0 9 * * MON#2",
            r"cron '0 9 \* \* MON#2' has an invalid day-of-week 'MON#2'\. "
            r"Fix: Unix cron has no 'L' or '#'; write the AWS six-field form",
        ),
        ("0 9 * * 5L", r"invalid day-of-week '5L'\. Fix: Unix cron has no 'L' or '#'"),
        ("0 9 * * L", r"invalid day-of-week 'L'\. Fix: Unix cron has no 'L' or '#'"),
        ("0 9 * * 8", r"invalid day-of-week '8'\. Fix: use 0-7 \(0 and 7 are Sunday\)"),
        ("0 9 * * 1,9", r"invalid day-of-week '9'"),
        ("0 9 * * Monday", r"invalid day-of-week 'Monday'"),
        ("0 9 * * ?", r"invalid day-of-week '\?'"),
        ("0 9 * * 1--5", r"invalid day-of-week '1--5'"),
        (
            "0 9 * * 5-1",
            r"day-of-week '5-1', a range that runs backwards\. "
            r"Fix: Unix cron does not wrap past Saturday",
        ),
        ("0 9 * * FRI-SUN", r"day-of-week 'FRI-SUN', a range that runs backwards"),
        ("0 9 * * 1/2", r"day-of-week '1/2', a single day with a step"),
        ("0 9 * * */0", r"day-of-week '\*/0', a step of 0"),
    ],
)
def test_unconvertible_unix_cron_is_refused(cron: str, message: str) -> None:
    with pytest.raises(ScheduleError, match=message) as info:
        CronSchedule(cron)
    assert isinstance(info.value, FlowDefinitionError)
