"""How many executions a month an EventBridge Scheduler expression starts (for `orchestrator cost`).

A month is AWS's pricing month: 730 hours (365 days × 24 hours ÷ 12), as the AWS Pricing
Calculator counts it. `rate(...)` divides it by the interval; `cron(...)` counts the minutes the
expression matches in a non-leap year and divides by 12 (the year field is not consulted);
`at(...)` starts one execution, once.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

from orchestrator.errors import ScheduleError
from orchestrator.sdk.schedules import validate_expression

HOURS_PER_MONTH = 730
_REFERENCE_YEAR = 2027  # not a leap year
_RATE = re.compile(r"^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$")
_MINUTES_PER = {"minute": 1, "hour": 60, "day": 1440}
_MONTHS = {m.upper(): i for i, m in enumerate(calendar.month_abbr) if m}
_DAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}


def runs_per_month(expression: str) -> float | None:
    """Executions per 730-hour month; None for a one-time `at(...)` schedule."""
    validate_expression(expression)
    text = expression.strip()
    if text.startswith("at("):
        return None
    rate = _RATE.match(text)
    if rate:
        minutes = int(rate.group(1)) * _MINUTES_PER[rate.group(2).rstrip("s")]
        return HOURS_PER_MONTH * 60 / minutes
    if text.startswith("cron(") and text.endswith(")"):
        return _cron_runs_per_year(text[5:-1].split(), text) / 12
    raise ScheduleError(f"cannot count the runs of schedule {expression!r}", fix=_FIX)


_FIX = "pass --runs-per-month N"


def _cron_runs_per_year(fields: list[str], expression: str) -> int:
    if len(fields) != 6:
        raise ScheduleError(f"schedule {expression!r} has {len(fields)} cron fields", fix=_FIX)
    minutes = _values(fields[0], 0, 59, {}, expression)
    hours = _values(fields[1], 0, 23, {}, expression)
    months = _values(fields[3], 1, 12, _MONTHS, expression)
    dom, dow = fields[2], fields[4]
    per_day = len(minutes) * len(hours)
    runs = 0
    day = date(_REFERENCE_YEAR, 1, 1)
    while day.year == _REFERENCE_YEAR:
        if day.month in months and _day_matches(day, dom, dow, expression):
            runs += per_day
        day += timedelta(days=1)
    return runs


def _day_matches(day: date, dom: str, dow: str, expression: str) -> bool:
    if dom == "?":
        return (day.weekday() + 1) % 7 + 1 in _values(dow, 1, 7, _DAYS, expression)
    if dom == "L":
        return day.day == calendar.monthrange(day.year, day.month)[1]
    if dow not in ("?", "*"):
        raise ScheduleError(f"schedule {expression!r} sets both days", fix=_FIX)
    return day.day in _values(dom, 1, 31, {}, expression)


def _values(field: str, low: int, high: int, names: dict[str, int], expression: str) -> set[int]:
    """The values a cron field matches: `*`, `?`, numbers, names, ranges, `/` steps, lists."""
    out: set[int] = set()
    for item in field.upper().split(","):
        part, _, step_text = item.partition("/")
        if part in ("*", "?"):
            start, end = low, high
        elif "-" in part:
            first, _, last = part.partition("-")
            start, end = _one(first, names, expression), _one(last, names, expression)
        else:
            start = _one(part, names, expression)
            end = high if step_text else start
        step = int(step_text) if step_text.isdigit() else 1
        if step_text and not step_text.isdigit():
            raise ScheduleError(f"cannot count the runs of schedule {expression!r}", fix=_FIX)
        out.update(range(start, end + 1, step))
    return out


def _one(text: str, names: dict[str, int], expression: str) -> int:
    if text.isdigit():
        return int(text)
    if text in names:
        return names[text]
    # L, W and # (last / nearest weekday / nth weekday) are not counted here.
    raise ScheduleError(f"cannot count the runs of schedule {expression!r}", fix=_FIX)
