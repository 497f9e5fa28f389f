"""Named periods ("last month") as date ranges, both ends included."""

import calendar
from datetime import date, datetime, timedelta

from django.utils import timezone

from agent.errors import ApplicationError

PERIODS = (
    "today", "yesterday", "this week", "last week", "this month", "last month",
    "this year", "last year", "last 7 days", "last 30 days",
)


def period_range(name: str, today: date) -> tuple[date, date]:
    """The first and last day of a named period, relative to `today`.

    Weeks start on Monday. "this week/month/year" is the whole calendar period (it may end after
    today); "last 7 days" and "last 30 days" end today and include it.
    """
    key = " ".join((name or "").lower().replace("_", " ").replace("-", " ").split())
    if key == "today":
        return today, today
    if key == "yesterday":
        day = today - timedelta(days=1)
        return day, day
    if key in ("this week", "last week"):
        monday = today - timedelta(days=today.weekday())
        if key == "last week":
            monday -= timedelta(days=7)
        return monday, monday + timedelta(days=6)
    if key in ("this month", "last month"):
        year, month = today.year, today.month
        if key == "last month":
            year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    if key in ("this year", "last year"):
        year = today.year - (key == "last year")
        return date(year, 1, 1), date(year, 12, 31)
    if key in ("last 7 days", "last 30 days"):
        days = 7 if key == "last 7 days" else 30
        return today - timedelta(days=days - 1), today
    raise ApplicationError(f"Unknown period {name!r}. Use one of: {', '.join(PERIODS)}.")


def parse_date(value, *, field: str = "date") -> date | None:
    """A date from a date or an ISO text ("2026-01-31"); None stays None."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ApplicationError(f"{value!r} is not a {field}. Write it as YYYY-MM-DD, e.g. 2026-01-31.") from None


def date_range(*, date_from=None, date_to=None, period: str | None = None,
               today: date) -> tuple[date | None, date | None]:
    """The range asked for, either end possibly open (None): a named period, where explicit dates
    (ISO text or date) take precedence over the end of the period they replace."""
    start, end = period_range(period, today) if period else (None, None)
    start = parse_date(date_from, field="start date") or start
    end = parse_date(date_to, field="end date") or end
    if start and end and start > end:
        raise ApplicationError(f"The start date {start} is after the end date {end}.")
    return start, end
