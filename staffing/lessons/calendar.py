"""Months as the lesson rule counts them: a month is its first day; teaching months are those
that are not school holidays (settings ``STAFFING_HOLIDAY_MONTHS`` and, for one school year,
``STAFFING_HOLIDAY_MONTHS_BY_YEAR``); the required and maximum hours are settings too."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from mhcare.orgs.models import Semester

MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")


def required_hours() -> Decimal:
    return Decimal(str(settings.STAFFING_LESSON_HOURS_REQUIRED))


def max_hours() -> Decimal:
    return Decimal(str(settings.STAFFING_LESSON_MAX_HOURS))


def month_of(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def parse_month(text: str | None) -> datetime.date | None:
    """``2026-10`` → 2026-10-01; None when it is not a month."""
    match = MONTH_RE.match((text or "").strip())
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        return None
    return datetime.date(year, month, 1)


def next_month(month: datetime.date) -> datetime.date:
    return (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def month_end(month: datetime.date) -> datetime.date:
    return next_month(month) - datetime.timedelta(days=1)


def months_between(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    """Every month from ``first``'s to ``last``'s, both included."""
    months: list[datetime.date] = []
    current, last = month_of(first), month_of(last)
    while current <= last:
        months.append(current)
        current = next_month(current)
    return months


def school_year_name(month: datetime.date) -> str:
    """The school year (1 September – 31 August) a month lies in, by name: ``2026-2027``."""
    start = month.year if month.month >= 9 else month.year - 1
    return f"{start}-{start + 1}"


def holiday_months(year_name: str) -> frozenset[int]:
    by_year: Mapping[str, Iterable[int]] = settings.STAFFING_HOLIDAY_MONTHS_BY_YEAR
    return frozenset(int(m) for m in by_year.get(year_name, settings.STAFFING_HOLIDAY_MONTHS))


def is_teaching_month(month: datetime.date) -> bool:
    return month.month not in holiday_months(school_year_name(month))


def teaching_months(months: Iterable[datetime.date]) -> list[datetime.date]:
    return [m for m in months if is_teaching_month(m)]


def default_months(today: datetime.date | None = None) -> list[datetime.date]:
    """The current semester's months up to this one; outside a semester, the last six months."""
    today = today or timezone.localdate()
    semester = Semester.current(today)
    if semester is not None:
        return months_between(semester.start, min(today, semester.end))
    first = month_of(today)
    for _ in range(5):
        first = month_of(first - datetime.timedelta(days=1))
    return months_between(first, today)
