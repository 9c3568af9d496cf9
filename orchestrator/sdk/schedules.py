"""Schedules: when EventBridge Scheduler starts a flow.

Every schedule ends up as an EventBridge Scheduler expression (`rate(...)`, `cron(...)`, `at(...)`)
plus an optional IANA timezone, and is validated when the flow is defined — a typo in a schedule is
a build error, not a silent deploy that never fires.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from orchestrator.errors import ScheduleError
from orchestrator.records import record

__all__ = [
    "CronSchedule",
    "IntervalSchedule",
    "Schedule",
]


# Patterns, compiled (and cached by `re`) when a schedule is first parsed, not at import.
_RATE = r"^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$"
_CRON = r"^cron\((.*)\)$"
_AT = r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$"

_MONTHS = "JAN|FEB|MAR|APR|MAY|JUN|JUL|AUG|SEP|OCT|NOV|DEC"
_DAYS = "SUN|MON|TUE|WED|THU|FRI|SAT"
# One regular expression per field of an AWS cron expression; each admits a comma list of
# values, ranges and increments as the EventBridge documentation describes.
_FIELD_ITEM = {
    "minutes": r"(\*|[0-5]?\d(-[0-5]?\d)?)(/\d+)?",
    "hours": r"(\*|(1?\d|2[0-3])(-(1?\d|2[0-3]))?)(/\d+)?",
    "day-of-month": r"(\*|(0?[1-9]|[12]\d|3[01])(-(0?[1-9]|[12]\d|3[01]))?)(/\d+)?"
    r"|L|LW|(0?[1-9]|[12]\d|3[01])W",
    "month": rf"(\*|(0?[1-9]|1[0-2]|{_MONTHS})(-(0?[1-9]|1[0-2]|{_MONTHS}))?)(/\d+)?",
    "day-of-week": rf"(\*|([1-7]|{_DAYS})(-([1-7]|{_DAYS}))?)(/\d+)?"
    rf"|([1-7]|{_DAYS})L|([1-7]|{_DAYS})#[1-5]",
    "year": r"(\*|(19[7-9]\d|2[01]\d\d)(-(19[7-9]\d|2[01]\d\d))?)(/\d+)?",
}
_CRON_FIELDS = list(_FIELD_ITEM)


@record(frozen=True)
class Schedule:
    """An EventBridge Scheduler expression and the timezone its cron fields are read in."""

    expression: str
    timezone: str | None = None

    def __post_init__(self) -> None:
        validate_expression(self.expression)
        if self.timezone is not None:
            validate_timezone(self.timezone)

    def __str__(self) -> str:
        return self.expression if not self.timezone else f"{self.expression} [{self.timezone}]"


def IntervalSchedule(  # noqa: N802 - Prefect 1.x spells the constructor this way
    interval: int | float | timedelta,
    start_date: datetime | None = None,
    timezone: str | None = None,
) -> Schedule:
    """Run every `interval` (seconds or a timedelta), as `rate(...)`; whole minutes only."""
    seconds = interval.total_seconds() if isinstance(interval, timedelta) else interval
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise ScheduleError(
            f"IntervalSchedule(interval={interval!r}) is not a duration",
            fix="give the interval in seconds or as a datetime.timedelta",
        )
    if seconds < 60 or seconds % 60:
        raise ScheduleError(
            f"IntervalSchedule(interval={interval!r}) is not a whole number of minutes",
            fix="EventBridge Scheduler runs at most once a minute; use a multiple of 60 seconds",
        )
    minutes = int(seconds // 60)
    if minutes % 1440 == 0:
        count, unit = minutes // 1440, "day"
    elif minutes % 60 == 0:
        count, unit = minutes // 60, "hour"
    else:
        count, unit = minutes, "minute"
    tz = timezone or (start_date.tzname() if start_date and start_date.tzinfo else None)
    return Schedule(f"rate({count} {unit}{'s' if count != 1 else ''})", tz)


def CronSchedule(cron: str, timezone: str | None = None) -> Schedule:  # noqa: N802
    """Run on a cron expression: Unix 5-field (`0 * * * *`) or AWS 6-field / `cron(...)` form."""
    text = cron.strip()
    match = re.match(_CRON, text)
    fields = (match.group(1) if match else text).split()
    if len(fields) == 5 and not match:  # inside cron(...) it must be AWS's six fields
        fields = _unix_to_aws(fields, cron)
    return Schedule(f"cron({' '.join(fields)})", timezone)


def parse_schedule(value: object) -> Schedule | None:
    """Normalise a flow's `schedule=` option: None, a Schedule, or an expression string."""
    if value is None or isinstance(value, Schedule):
        return value
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("cron(") or _looks_like_unix_cron(text):
            return CronSchedule(text)
        return Schedule(text)
    if isinstance(value, timedelta | int) and not isinstance(value, bool):
        return IntervalSchedule(value)
    raise ScheduleError(
        f"schedule={value!r} is not a schedule",
        fix='use "rate(1 hour)", "cron(0 * * * ? *)", IntervalSchedule(...) or CronSchedule(...)',
    )


def validate_expression(expression: str) -> None:
    """Raise a ScheduleError unless `expression` is a valid EventBridge Scheduler expression."""
    if match := re.match(_RATE, expression):
        count, unit = int(match.group(1)), match.group(2)
        if count < 1:
            raise ScheduleError(
                f"schedule {expression!r} has a zero rate", fix="use a positive number"
            )
        if (count == 1) != (not unit.endswith("s")):
            right = unit.rstrip("s") if count == 1 else unit + "s"
            raise ScheduleError(
                f"schedule {expression!r} has the wrong unit for {count}",
                fix=f"AWS wants rate({count} {right})",
            )
        return
    if match := re.match(_CRON, expression):
        _validate_cron_fields(match.group(1).split(), expression)
        return
    if match := re.match(_AT, expression):
        try:
            datetime.fromisoformat(match.group(1))
        except ValueError:
            raise ScheduleError(
                f"schedule {expression!r} is not a real date and time",
                fix="use at(yyyy-mm-ddThh:mm:ss)",
            ) from None
        return
    raise ScheduleError(
        f"schedule {expression!r} is not a valid schedule expression",
        fix='use "rate(N minutes|hours|days)", "cron(min hour dom month dow year)" or '
        '"at(yyyy-mm-ddThh:mm:ss)", e.g. "rate(1 hour)"',
    )


def validate_timezone(timezone: str) -> None:
    # Imported here: zoneinfo costs ~10 ms at import, and only flows with a timezone need it.
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        near = sorted(z for z in available_timezones() if z.lower().endswith(timezone.lower()))
        hint = f"did you mean {near[0]!r}?" if near else "use an IANA name like 'Asia/Shanghai'"
        raise ScheduleError(f"unknown timezone {timezone!r}", fix=hint) from None


def _validate_cron_fields(fields: list[str], expression: str) -> None:
    if len(fields) != 6:
        raise ScheduleError(
            f"schedule {expression!r} has {len(fields)} cron fields, not 6",
            fix="AWS cron is cron(minutes hours day-of-month month day-of-week year), "
            "e.g. cron(0 * * * ? *)",
        )
    for name, field in zip(_CRON_FIELDS, fields, strict=True):
        if field == "?" and name in ("day-of-month", "day-of-week"):
            continue
        pattern = re.compile(rf"^({_FIELD_ITEM[name]})$", re.IGNORECASE)
        if not all(pattern.match(item) for item in field.split(",")):
            raise ScheduleError(
                f"schedule {expression!r} has an invalid {name} field {field!r}",
                fix="see the EventBridge cron reference for the values each field accepts",
            )
    dom, dow = fields[2], fields[4]
    if (dom == "?") == (dow == "?"):
        raise ScheduleError(
            f"schedule {expression!r} must have '?' in exactly one of day-of-month and day-of-week",
            fix="AWS cron cannot set both days; e.g. cron(0 * * * ? *)",
        )


def _looks_like_unix_cron(text: str) -> bool:
    return len(text.split()) == 5 and not text.startswith(("rate(", "at("))


def _unix_to_aws(fields: list[str], original: str) -> list[str]:
    """Unix cron `m h dom mon dow` → AWS `m h dom mon dow year`.

    Only the day fields change: the one left at `*` becomes `?` (AWS wants exactly one `?`), and
    day-of-week is renumbered (see `_unix_dow_to_aws`). Unix runs a job when *either* restricted
    day field matches; AWS cannot say that, so restricting both is refused rather than changed.
    """
    minute, hour, dom, month, dow = fields
    if dom != "*" and dow != "*":
        raise ScheduleError(
            f"cron {original!r} restricts both day-of-month and day-of-week, which Unix cron "
            "reads as 'either day matches'",
            fix="AWS cron cannot express that (one of the two must be '?'); keep one day field "
            "and use '*' for the other",
        )
    if dow == "*":
        dow = "?"
    else:
        dom = "?"
        dow = _unix_dow_to_aws(dow, original)
    return [minute, hour, dom, month, dow, "*"]


# Unix day-of-week is 0-7 (0 and 7 are Sunday) or SUN-SAT; AWS is 1-7 (1 is Sunday) or SUN-SAT.
_UNIX_DAY_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_UNIX_DOW_ITEM = r"^(?:\*|(?P<low>\d+|[a-z]{3})(?:-(?P<high>\d+|[a-z]{3}))?)(?:/(?P<step>\d+))?$"


def _unix_dow_to_aws(field: str, original: str) -> str:
    """Renumber a Unix day-of-week field for AWS, item by item.

    Single days and ranges shift by one (`1` → `2`, `1-5` → `2-6`, Sunday `0`/`7` → `1`); names
    are the same days in both and stay (upper-cased). Steps become the list of days they select
    (`*/2` → `1,3,5,7`, `1-5/2` → `2,4,6`): AWS documents `/` for every field but day-of-week,
    whose wildcards are only `, - * ? L #`. A range ending at Sunday 7 (`5-7`) is not a range in
    AWS's 1-7 week, so it becomes a list (`1,6,7`).
    """
    items: list[str] = []
    for item in field.split(","):
        converted = _unix_dow_item_to_aws(item, original)
        if converted not in items:
            items.append(converted)
    return ",".join(items)


def _unix_dow_item_to_aws(item: str, original: str) -> str:
    match = re.match(_UNIX_DOW_ITEM, item, re.IGNORECASE)
    if match is None:
        raise _dow_refusal(original, item)
    low, high, step = match.group("low"), match.group("high"), match.group("step")
    if low is None:  # '*': Sunday to Saturday
        first, last = 0, 6
    else:
        first = _unix_day(low, original, item)
        last = first if high is None else _unix_day(high, original, item)
    if first > last:
        raise ScheduleError(
            f"cron {original!r} has day-of-week {item!r}, a range that runs backwards",
            fix="Unix cron does not wrap past Saturday; split it at the end of the week, "
            "e.g. 'FRI-SUN' → '5-7' or 'FRI,SAT,SUN'",
        )
    if step is not None:
        if low is not None and high is None:
            raise ScheduleError(
                f"cron {original!r} has day-of-week {item!r}, a single day with a step, which "
                "Unix crons read differently",
                fix="write the day alone, or a range with a step such as '1-5/2'",
            )
        if int(step) == 0:
            raise ScheduleError(
                f"cron {original!r} has day-of-week {item!r}, a step of 0",
                fix="use a step of 1 or more, e.g. '*/2'",
            )
        return _aws_day_list({day % 7 + 1 for day in range(first, last + 1, int(step))})
    if low is None:  # a bare '*' inside a list
        return "1-7"
    if high is None:
        return low.upper() if low.isalpha() else str(first % 7 + 1)
    if low.isalpha() and high.isalpha():
        return f"{low.upper()}-{high.upper()}"
    if last == 7:  # ... to Sunday-as-7 wraps past AWS's Saturday 7
        return _aws_day_list({day % 7 + 1 for day in range(first, last + 1)})
    return f"{first + 1}-{last + 1}"


def _unix_day(value: str, original: str, item: str) -> int:
    """A Unix day of week, 0-7 (SUN is 0), from a number or a three-letter name."""
    if value.isalpha():
        if value.upper() in _UNIX_DAY_NAMES:
            return _UNIX_DAY_NAMES.index(value.upper())
    elif int(value) <= 7:
        return int(value)
    raise _dow_refusal(original, item)


def _aws_day_list(days: set[int]) -> str:
    """AWS days of week (1-7) as a comma list, runs of three or more as ranges: `1,3-7`."""
    parts: list[str] = []
    ordered = sorted(days)
    start = 0
    for end, day in enumerate(ordered):
        if end + 1 < len(ordered) and ordered[end + 1] == day + 1:
            continue
        run = ordered[start : end + 1]
        parts.extend([f"{run[0]}-{run[-1]}"] if len(run) >= 3 else [str(d) for d in run])
        start = end + 1
    return ",".join(parts)


def _dow_refusal(original: str, item: str) -> ScheduleError:
    if "#" in item or re.fullmatch(r"([0-7]|[a-z]{3})?L", item, re.IGNORECASE):
        fix = "Unix cron has no 'L' or '#'; write the AWS six-field form instead, e.g. "
        fix += "cron(0 9 ? * MON#2 *) or cron(0 9 ? * 6L *)"
    else:
        fix = "use 0-7 (0 and 7 are Sunday) or SUN-SAT, with '-' ranges, ',' lists and '/' steps"
    return ScheduleError(f"cron {original!r} has an invalid day-of-week {item!r}", fix=fix)
