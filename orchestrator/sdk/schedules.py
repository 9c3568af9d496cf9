"""Schedules: when EventBridge Scheduler starts a flow.

Every schedule ends up as an EventBridge Scheduler expression (`rate(...)`, `cron(...)`, `at(...)`)
plus an optional IANA timezone, and is validated when the flow is defined — a typo in a schedule is
a build error, not a silent deploy that never fires.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from orchestrator.errors import ScheduleError

_RATE = re.compile(r"^rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)$")
_CRON = re.compile(r"^cron\((.*)\)$")
_AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")

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


@dataclass(frozen=True)
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
    match = _CRON.match(text)
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
    if match := _RATE.match(expression):
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
    if match := _CRON.match(expression):
        _validate_cron_fields(match.group(1).split(), expression)
        return
    if match := _AT.match(expression):
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
    """Unix cron `m h dom mon dow` → AWS `m h dom mon dow year` (Sunday 0 → 1, '?' rule)."""
    minute, hour, dom, month, dow = fields
    if dow != "*":
        dow = re.sub(r"\d", lambda m: str(int(m.group(0)) % 7 + 1), dow)
    if dow == "*":
        dow = "?"
    elif dom == "*":
        dom = "?"
    else:
        raise ScheduleError(
            f"cron {original!r} sets both day-of-month and day-of-week",
            fix="AWS cron cannot combine them; keep one and use '*' for the other",
        )
    return [minute, hour, dom, month, dow, "*"]
