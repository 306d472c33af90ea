"""Reporting periods of the indicators and how they map to dates.

- ``YYYY-MM`` (month): the calendar month, 1st to last day. Its school year is the one whose
  dates contain the 1st of the month (rosters are read from that year's classes).
- ``YYYY-S1`` / ``YYYY-S2`` (semester): the ``Semester`` of term 1 / term 2 of the school year that
  starts in calendar year YYYY (``2026-S1`` = autumn 2026, ``2026-S2`` = spring 2027), with that
  semester's own dates.
- ``YYYY`` (school year): the ``SchoolYear`` that starts in calendar year YYYY (``2026`` =
  2026-2027), with its dates.

A semester or school year that is not defined in the database is not a period
(``UnknownPeriodError``): the dates of a school year are the province's, never guessed.
"""

from __future__ import annotations

import calendar
import datetime
import re
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mhcare.orgs.models import SchoolYear, Semester

MONTH, SEMESTER, YEAR = "month", "semester", "year"
PERIOD_RE = re.compile(r"^(?P<year>\d{4})(?:-(?P<month>0[1-9]|1[0-2])|-S(?P<term>[12]))?$")

INVALID_PERIOD = _(
    "A period is YYYY-MM (month), YYYY-S1 or YYYY-S2 (semester) or YYYY (school year)."
)
UNKNOWN_PERIOD = _("This semester or school year is not defined.")


class UnknownPeriodError(ValueError):
    pass


@dataclass(frozen=True)
class Period:
    code: str
    kind: str
    start: datetime.date
    end: datetime.date  # inclusive
    school_year: SchoolYear | None

    @property
    def label(self) -> str:
        if self.kind == YEAR and self.school_year is not None:
            return str(self.school_year.name)
        return self.code

    def reference_date(self, today: datetime.date | None = None) -> datetime.date:
        """The day a state ("open cases") is read on: the period's last day, or today while the
        period runs."""
        today = today or timezone.localdate()
        return min(self.end, max(today, self.start))

    def bounds(self) -> tuple[datetime.datetime, datetime.datetime]:
        """[start, end) as aware datetimes in the platform's time zone."""
        tz = timezone.get_current_timezone()
        lo = datetime.datetime.combine(self.start, datetime.time.min, tzinfo=tz)
        hi = datetime.datetime.combine(
            self.end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz
        )
        return lo, hi


def parse_period(code: str) -> Period:
    """The period of ``code``; ``ValueError`` (``UnknownPeriodError`` for an undefined semester or
    school year) otherwise."""
    match = PERIOD_RE.match((code or "").strip())
    if not match:
        raise ValueError(str(INVALID_PERIOD))
    year = int(match["year"])
    code = match.group(0)
    if match["month"]:
        month = int(match["month"])
        start = datetime.date(year, month, 1)
        end = datetime.date(year, month, calendar.monthrange(year, month)[1])
        school_year = SchoolYear.objects.filter(start__lte=start, end__gte=start).first()
        return Period(code, MONTH, start, end, school_year)
    school_year = SchoolYear.objects.filter(start__year=year).first()
    if school_year is None:
        raise UnknownPeriodError(str(UNKNOWN_PERIOD))
    if match["term"]:
        semester = Semester.objects.filter(school_year=school_year, term=int(match["term"])).first()
        if semester is None:
            raise UnknownPeriodError(str(UNKNOWN_PERIOD))
        return Period(code, SEMESTER, semester.start, semester.end, school_year)
    return Period(code, YEAR, school_year.start, school_year.end, school_year)


def month_code(day: datetime.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def current_periods(today: datetime.date | None = None) -> list[Period]:
    """What the nightly job refreshes: this month and last month (last month's figures settle a
    few days late), the current semester and the current school year."""
    today = today or timezone.localdate()
    last_month = today.replace(day=1) - datetime.timedelta(days=1)
    periods = [parse_period(month_code(today)), parse_period(month_code(last_month))]
    semester = Semester.current(today)
    if semester is not None:
        periods.append(parse_period(f"{semester.school_year.start.year}-S{semester.term}"))
    school_year = SchoolYear.current(today)
    if school_year is not None:
        periods.append(parse_period(f"{school_year.start.year}"))
    return periods


def default_period(today: datetime.date | None = None) -> Period:
    """The dashboards open on the current school year (or the current month between years)."""
    today = today or timezone.localdate()
    school_year = SchoolYear.current(today)
    if school_year is not None:
        return parse_period(f"{school_year.start.year}")
    return parse_period(month_code(today))


def period_choices(today: datetime.date | None = None) -> list[tuple[str, str]]:
    """Periods to pick on the dashboards: school years and semesters defined, and the months of
    the current school year up to now."""
    today = today or timezone.localdate()
    choices: list[tuple[str, str]] = []
    for year in SchoolYear.objects.order_by("-start").prefetch_related("semesters")[:5]:
        choices.append((f"{year.start.year}", str(year.name)))
        for semester in sorted(year.semesters.all(), key=lambda s: s.term):
            choices.append(
                (
                    f"{year.start.year}-S{semester.term}",
                    f"{year.name} {semester.get_term_display()}",
                )
            )
    current = SchoolYear.current(today)
    if current is not None:
        day = current.start
        while day <= min(today, current.end):
            choices.append((month_code(day), month_code(day)))
            day = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return choices


def trend_months(count: int, today: datetime.date | None = None) -> list[str]:
    """The month codes of the last ``count`` months up to this one, oldest first."""
    today = today or timezone.localdate()
    months: list[str] = []
    day = today.replace(day=1)
    for _i in range(max(count, 0)):
        months.append(month_code(day))
        day = (day - datetime.timedelta(days=1)).replace(day=1)
    return months[::-1]


def school_year_months(today: datetime.date | None = None) -> list[str]:
    """The month codes of the current school year from its first month up to this one."""
    today = today or timezone.localdate()
    current = SchoolYear.current(today)
    if current is None:
        return []
    months: list[str] = []
    day = current.start.replace(day=1)
    while day <= min(today, current.end):
        months.append(month_code(day))
        day = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return months
