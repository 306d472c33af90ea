"""The staffing rule of notice §6, evaluated for every school under a unit on any day.

- From ``STAFFING_REQUIRED_FROM`` (2023-09-01) a school is *required* to have a full-time MH
  teacher when it has at least ``STAFFING_STUDENT_THRESHOLD`` (1 000) students on its roll that day
  (counted from its students, ``Student.objects.on_roll``; never the typed ``enrolled_count``), more
  than one campus, or a combined stage (九年一贯, 完全中学, 十二年一贯: ``MULTI_STAGE``).
- From ``STAFFING_ALL_SCHOOLS_FROM`` (2025-09-01) every school is required.
- A required school complies with at least ``STAFFING_MIN_FULLTIME`` full-time MH teachers in post
  that day (start ≤ day ≤ end, the end date being the last day in post).

Set-based: three queries whatever the number of schools (the schools, their students on the roll
grouped by school, their full-time posts grouped by school); the verdicts are plain arithmetic.
The caller decides whether the actor may see the unit (``selectors``); this module only counts.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mhcare.accounts import scope
from mhcare.orgs.models import MULTI_STAGE, OrgKind, OrgUnit, SchoolStage, Student
from staffing.models import MHTeacher, PostKind, Researcher


class Status:
    COMPLIANT = "compliant"
    NON_COMPLIANT = "non_compliant"
    NOT_YET_DUE = "not_yet_due"

    choices = (
        (COMPLIANT, gettext_lazy("Compliant")),
        (NON_COMPLIANT, gettext_lazy("Non-compliant")),
        (NOT_YET_DUE, gettext_lazy("Not yet due")),
    )
    values = (COMPLIANT, NON_COMPLIANT, NOT_YET_DUE)


STATUS_LABELS = dict(Status.choices)

# Reasons, in words (module constants the tests import).
REASON_BEFORE_RULE = gettext_lazy(
    "No school is required to have a full-time MH teacher before %(date)s."
)
REASON_NOT_REQUIRED = gettext_lazy(
    "Not required before %(date)s: %(students)s students (fewer than %(threshold)s), one campus, "
    "a single stage."
)
REASON_STUDENTS = gettext_lazy("%(students)s students (at least %(threshold)s)")
REASON_CAMPUSES = gettext_lazy("%(campuses)s campuses")
REASON_STAGE = gettext_lazy("more than one stage (%(stage)s)")
REASON_REQUIRED_GROUNDS = gettext_lazy("Required since %(date)s: %(grounds)s.")
REASON_REQUIRED_ALL = gettext_lazy("Required since %(date)s: every school.")
REASON_HAS_TEACHER = gettext_lazy("%(count)s full-time MH teacher(s) in post.")
REASON_NO_TEACHER = gettext_lazy("No full-time MH teacher in post.")
REASON_TOO_FEW = gettext_lazy("Only %(count)s full-time MH teacher(s) in post, %(minimum)s needed.")

REASON_RESEARCHER_BEFORE = gettext_lazy(
    "A full-time MH teaching researcher is required from %(date)s."
)
REASON_RESEARCHER_NONE = gettext_lazy("No full-time MH teaching researcher in post.")
REASON_RESEARCHER_OK = gettext_lazy("%(count)s full-time MH teaching researcher(s) in post.")


@dataclass(frozen=True)
class SchoolStaffing:
    """One school's staffing on one day, and why."""

    school_id: int
    code: str
    name: str
    path: str
    students: int
    campuses: int
    stage: str
    required: bool
    fulltime_teachers: int
    status: str
    reason: str
    grounds: tuple[str, ...] = field(default=())  # student / campus / stage / all

    @property
    def stage_label(self) -> str:
        return str(dict(SchoolStage.choices).get(self.stage, self.stage))

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])

    @property
    def is_compliant(self) -> bool:
        return self.status == Status.COMPLIANT


def _fmt(template: object, **params: object) -> str:
    """The lazy message in the active language, filled in."""
    return str(template) % params if params else str(template)


def judge(
    *, on: datetime.date, students: int, campuses: int, stage: str, fulltime: int
) -> tuple[bool, str, str, tuple[str, ...]]:
    """(required, status, reason, grounds) for one school's numbers on day ``on``."""
    required_from: datetime.date = settings.STAFFING_REQUIRED_FROM
    all_from: datetime.date = settings.STAFFING_ALL_SCHOOLS_FROM
    threshold: int = settings.STAFFING_STUDENT_THRESHOLD
    minimum: int = settings.STAFFING_MIN_FULLTIME
    if on < required_from:
        return False, Status.NOT_YET_DUE, _fmt(REASON_BEFORE_RULE, date=required_from), ()
    grounds: list[str] = []
    words: list[str] = []
    if students >= threshold:
        grounds.append("students")
        words.append(_fmt(REASON_STUDENTS, students=students, threshold=threshold))
    if campuses > 1:
        grounds.append("campuses")
        words.append(_fmt(REASON_CAMPUSES, campuses=campuses))
    if stage in MULTI_STAGE:
        grounds.append("stage")
        words.append(_fmt(REASON_STAGE, stage=dict(SchoolStage.choices).get(stage, stage)))
    if words:
        why = _fmt(REASON_REQUIRED_GROUNDS, date=required_from, grounds=_("; ").join(words))
    elif on >= all_from:
        grounds.append("all")
        why = _fmt(REASON_REQUIRED_ALL, date=all_from)
    else:
        reason = _fmt(REASON_NOT_REQUIRED, date=all_from, students=students, threshold=threshold)
        return False, Status.NOT_YET_DUE, reason, ()
    if fulltime >= minimum:
        outcome = _fmt(REASON_HAS_TEACHER, count=fulltime)
        status = Status.COMPLIANT
    elif fulltime == 0:
        outcome, status = _fmt(REASON_NO_TEACHER), Status.NON_COMPLIANT
    else:
        outcome = _fmt(REASON_TOO_FEW, count=fulltime, minimum=minimum)
        status = Status.NON_COMPLIANT
    return True, status, f"{why} {outcome}", tuple(grounds)


def students_on_roll(*, unit: OrgUnit, on: datetime.date) -> dict[int, int]:
    """Students on the roll on day ``on`` per school id under ``unit`` (one grouped query)."""
    rows = (
        Student.objects.on_roll(on)
        .filter(scope.unit_q(unit, county_field="county"))
        .order_by()
        .values_list("school_id")
        .annotate(n=Count("id"))
    )
    return dict(rows)


def fulltime_in_post(*, unit: OrgUnit, on: datetime.date) -> dict[int, int]:
    """Full-time MH teachers in post on day ``on`` per school id under ``unit`` (one grouped
    query)."""
    rows = (
        MHTeacher.objects.in_post(on)
        .filter(scope.unit_q(unit), kind=PostKind.FULLTIME)
        .order_by()
        .values_list("school_id")
        .annotate(n=Count("id"))
    )
    return dict(rows)


def school_staffing(*, unit: OrgUnit, on: datetime.date) -> list[SchoolStaffing]:
    """Every active school under ``unit`` (the unit itself if a school), in path order."""
    schools = list(
        OrgUnit.objects.filter(path__startswith=unit.path, kind=OrgKind.SCHOOL, is_active=True)
        .order_by("path")
        .values_list("id", "code", "name", "path", "campus_count", "stage")
    )
    if not schools:
        return []
    students = students_on_roll(unit=unit, on=on)
    fulltime = fulltime_in_post(unit=unit, on=on)
    result = []
    for school_id, code, name, path, campuses, stage in schools:
        count = students.get(school_id, 0)
        teachers = fulltime.get(school_id, 0)
        required, status, reason, grounds = judge(
            on=on, students=count, campuses=campuses, stage=stage, fulltime=teachers
        )
        result.append(
            SchoolStaffing(
                school_id=school_id,
                code=code,
                name=name,
                path=path,
                students=count,
                campuses=campuses,
                stage=stage,
                required=required,
                fulltime_teachers=teachers,
                status=status,
                reason=reason,
                grounds=grounds,
            )
        )
    return result


# ---------------------------------------------------------------- 教研员


@dataclass(frozen=True)
class ResearchUnitStaffing:
    unit_id: int
    code: str
    name: str
    fulltime_researchers: int
    status: str
    reason: str

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])


def research_unit_staffing(*, unit: OrgUnit, on: datetime.date) -> list[ResearchUnitStaffing]:
    """Every teaching-research unit under ``unit`` (notice §6): compliant with a full-time MH
    教研员 in post on ``on``; not yet due before ``STAFFING_RESEARCHER_FROM``. Two queries."""
    due: datetime.date = settings.STAFFING_RESEARCHER_FROM
    units = list(
        OrgUnit.objects.filter(path__startswith=unit.path, kind=OrgKind.RESEARCH, is_active=True)
        .order_by("path")
        .values_list("id", "code", "name")
    )
    counts = dict(
        Researcher.objects.in_post(on)
        .filter(kind=PostKind.FULLTIME, unit__path__startswith=unit.path)
        .order_by()
        .values_list("unit_id")
        .annotate(n=Count("id"))
    )
    result = []
    for unit_id, code, name in units:
        n = counts.get(unit_id, 0)
        if n:
            status, reason = Status.COMPLIANT, _fmt(REASON_RESEARCHER_OK, count=n)
        elif on < due:
            status, reason = Status.NOT_YET_DUE, _fmt(REASON_RESEARCHER_BEFORE, date=due)
        else:
            status, reason = Status.NON_COMPLIANT, _fmt(REASON_RESEARCHER_NONE)
        result.append(ResearchUnitStaffing(unit_id, code, name, n, status, reason))
    return result
