"""The twelve compliance indicators (DESIGN.md "Compliance indicators"; notice §13, §15).

Each indicator is registered here with its code, name, definition in words, notice clause and
target (``settings.COMPLIANCE_TARGETS``). Its computation is a separate function registered with
``@computes(code)`` (see ``compliance/computations.py``): an indicator without one has no source
yet and reads "no data yet" (status ``no_data``, value ``null``) — never a made-up value. Adding an
indicator's computation later is that one function.

A computation returns ``(unit_id, numerator, denominator)`` rows for the whole tree (or the subtree
under a path) in ONE grouped statement: each counted item (a student, a case, a class, a school)
belongs to exactly one unit (usually its school), so the framework sums the rows up the org tree
to the county, city and province exactly (``services.snapshot_refresh``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from compliance.periods import Period

Rows = Iterable[tuple[int, int, int]]
# The units indicators are reported for (a county center or a research unit sums into its county).
UNIT_KINDS = ("school", "county", "city", "province")
Computation = Callable[[Period, str | None], Rows]

# Statuses (the traffic light).
MET, NEAR, BELOW, INFO, EMPTY, NO_DATA = "met", "near", "below", "info", "empty", "no_data"
STATUS_LABELS: dict[str, Promise] = {
    MET: _("On target"),
    NEAR: _("Near target"),
    BELOW: _("Below target"),
    INFO: _("No target"),
    EMPTY: _("Nothing to count"),
    NO_DATA: _("No data yet"),
}
STATUS_COLOURS = {
    MET: "green",
    NEAR: "amber",
    BELOW: "red",
    INFO: "grey",
    EMPTY: "grey",
    NO_DATA: "grey",
}


@dataclass(frozen=True)
class Indicator:
    code: str
    name: Promise
    definition: Promise
    notice: str
    method: Promise | str = ""

    @property
    def name_zh(self) -> str:
        with translation.override("zh-hans"):
            return str(self.name)

    @property
    def name_en(self) -> str:
        with translation.override("en"):
            return str(self.name)

    @property
    def target(self) -> float | None:
        value = settings.COMPLIANCE_TARGETS.get(self.code)
        return None if value is None else float(value)

    @property
    def computation(self) -> Computation | None:
        return COMPUTATIONS.get(self.code)

    @property
    def has_source(self) -> bool:
        return self.code in COMPUTATIONS


INDICATORS: dict[str, Indicator] = {}
COMPUTATIONS: dict[str, Computation] = {}


def register(indicator: Indicator) -> Indicator:
    INDICATORS[indicator.code] = indicator
    return indicator


def computes(code: str) -> Callable[[Computation], Computation]:
    """Register the computation of indicator ``code`` (one function per indicator)."""

    def decorator(fn: Computation) -> Computation:
        if code not in INDICATORS:
            raise KeyError(f"unknown indicator {code!r}")
        COMPUTATIONS[code] = fn
        return fn

    return decorator


def all_indicators() -> list[Indicator]:
    return list(INDICATORS.values())


def get(code: str) -> Indicator:
    return INDICATORS[code]


def rate(numerator: int | None, denominator: int | None) -> float | None:
    """The value in percent (one decimal); None when there is nothing to count."""
    if numerator is None or not denominator:
        return None
    return round(100.0 * numerator / denominator, 1)


def status(indicator: Indicator, numerator: int | None, denominator: int | None) -> str:
    if not indicator.has_source or numerator is None or denominator is None:
        return NO_DATA
    value = rate(numerator, denominator)
    if value is None:
        return EMPTY
    target = indicator.target
    if target is None:
        return INFO
    if value >= target:
        return MET
    if value >= target - float(settings.COMPLIANCE_AMBER_POINTS):
        return NEAR
    return BELOW


def reason(indicator: Indicator, numerator: int, denominator: int) -> str:
    """Why a unit is not compliant, in words."""
    return str(
        _("%(name)s is %(value)s%% (%(num)s of %(den)s), below the target of %(target)s%%.")
        % {
            "name": indicator.name,
            "value": rate(numerator, denominator),
            "num": numerator,
            "den": denominator,
            "target": _fmt(indicator.target),
        }
    )


def _fmt(value: float | None) -> str:
    if value is None:
        return "–"
    return str(int(value)) if float(value).is_integer() else str(value)


def screened_grades() -> tuple[int, int]:
    first, last = settings.COMPLIANCE_SCREENED_GRADES
    return int(first), int(last)


# --- the twelve (DESIGN.md order) -----------------------------------------------------------------

register(
    Indicator(
        "screening_coverage",
        _("Screening coverage"),
        _(
            "Students enrolled in the screened grades with at least one screening result dated in "
            "the period ÷ students enrolled in those grades in the period's school year."
        ),
        "§7",
        _(
            "Screened grades are a setting (COMPLIANCE_SCREENED_GRADES); the default 5–12 "
            "reads the "
            "notice's 小学高年级、初中、高中 with 高年级 = grades 5–6 of the six-year primary. A "
            "student counts once, at the school of their class in the period's school year; a "
            "result recorded at a previous school counts too. A student whose guardian "
            "refused screening (PIPL art. 31) is left out of both the numerator and the "
            "denominator and counted apart (refusals): screening them is not allowed, so they "
            "are not a gap in coverage."
        ),
    )
)
register(
    Indicator(
        "lesson_hours",
        _("Mental-health lesson hours"),
        _(
            "Classes with at least 2 mental-health class hours in each month of the period ÷ "
            "classes."
        ),
        "§2",
        _(
            "Only months that are over are judged (a month just begun would fail every class), and "
            "holiday months (February, July, August by default; a setting per school year) are not "
            "counted. A class counts when the school year of its class list covers the months; a "
            "class opened during the year (a later roster) is judged from the month it opened."
        ),
    )
)
register(
    Indicator(
        "fulltime_teacher_required",
        _("Full-time MH teacher (required schools)"),
        _(
            "Required schools (1000 students or more, several campuses or several stages) with at "
            "least one full-time mental-health teacher ÷ required schools (100% from 2023)."
        ),
        "§6",
    )
)
register(
    Indicator(
        "fulltime_teacher_all",
        _("Full-time MH teacher (all schools)"),
        _("Schools with at least one full-time mental-health teacher ÷ schools (100% from 2025)."),
        "§6",
    )
)
register(
    Indicator(
        "researcher_coverage",
        _("MH teaching researchers"),
        _(
            "Teaching-research units (county, city, province) with a full-time mental-health "
            "teaching researcher (教研员) ÷ those units (100% from 2025)."
        ),
        "§6",
    )
)
register(
    Indicator(
        "center_standardized",
        _("Standardized counseling centers"),
        _(
            "Counties with a standardized student counseling center ÷ counties (at least 70% "
            "by 2025)."
        ),
        "§8",
    )
)
register(
    Indicator(
        "highrisk_reported",
        _("High-risk cases reported in 24 h"),
        _(
            "Level 1 and level 2 cases confirmed in the period and reported to the provincial "
            "platform within 24 hours of every confirmation ÷ those cases."
        ),
        "§10",
        _(
            "A case is counted once (at the school that had to report it) even if its level was "
            "confirmed twice; one late or missing report makes it late. A report that is not sent "
            "yet and whose deadline has not passed is not counted yet. A report sent after 25 "
            "hours is late. The hours are a setting (COMPLIANCE_HIGHRISK_REPORT_HOURS)."
        ),
    )
)
register(
    Indicator(
        "followup_on_time",
        _("Follow-ups on time"),
        _(
            "Cases open on the period's last day (today while it runs) whose latest follow-up is "
            "within their level's cadence ÷ those open cases."
        ),
        "§10",
        _(
            "The cadence is the crisis setting (level 1: 3 days, level 2: 7, level 3: 30 by "
            "default). A case without a follow-up yet runs from the day it was opened. The "
            "level is "
            "the case's current level; the case counts at its current school."
        ),
    )
)
register(
    Indicator(
        "family_contact",
        _("Family contact"),
        _(
            "Enrolled students whose family was contacted directly (visit, phone, video or "
            "meeting; "
            "not an online message) in the period ÷ enrolled students of the period's school year."
        ),
        "§10, §14",
        _(
            "A student counts once, at the school of their class; a contact by a previous "
            "school counts too."
        ),
    )
)
register(
    Indicator(
        "referral_feedback",
        _("Referral feedback in 30 days"),
        _(
            "Referrals with the institution's feedback within 30 days ÷ referrals sent in the "
            "period."
        ),
        "§11",
    )
)
register(
    Indicator(
        "leading_groups",
        _("Leading and crisis groups"),
        _("Schools with a mental-health leading group and a crisis group ÷ schools."),
        "§5, §7",
    )
)
register(
    Indicator(
        "teacher_training",
        _("Teacher MH training"),
        _("Teachers whose training this year included mental-health content ÷ teachers."),
        "§6",
    )
)
