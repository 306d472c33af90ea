"""The staffing numbers the compliance indicators read (DESIGN.md "Compliance indicators"), for any
unit and day / period, set-based (one or two grouped queries each, whatever the size of the
subtree). They take a unit the caller has already checked against the actor's scope.

- ``fulltime_teacher_required``: required schools with enough full-time MH teachers ÷ required
  schools (the rule in ``staffing.teachers.rule``, required from 2023-09-01);
- ``fulltime_teacher_all``: schools with a full-time MH teacher ÷ schools (target from 2025);
- ``researcher_coverage``: teaching-research units with a full-time MH 教研员 ÷ such units;
- ``leading_groups``: schools with both an MH leading group and a crisis group on the day ÷ schools;
- ``teacher_training``: MH teachers in post during the period with MH-content training in it ÷
  those teachers;
- ``homeroom_training``: homeroom teachers of the period's classes with MH-content training in it
  ÷ those homeroom teachers.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Q

from mhcare.orgs.models import OrgKind, OrgUnit, SchoolClass
from staffing.models import GroupKind, LeadingGroup, MHTeacher, PostKind, TrainingParticipant
from staffing.teachers import rule


@dataclass(frozen=True)
class Ratio:
    numerator: int
    denominator: int

    @property
    def share(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    @property
    def percent(self) -> int | None:
        return None if not self.denominator else round(100 * self.numerator / self.denominator)


def _schools(unit: OrgUnit):  # type: ignore[no-untyped-def]
    return OrgUnit.objects.filter(path__startswith=unit.path, kind=OrgKind.SCHOOL, is_active=True)


def fulltime_teacher_required(*, unit: OrgUnit, on: datetime.date) -> Ratio:
    rows = [r for r in rule.school_staffing(unit=unit, on=on) if r.required]
    return Ratio(sum(r.status == rule.Status.COMPLIANT for r in rows), len(rows))


def fulltime_teacher_all(*, unit: OrgUnit, on: datetime.date) -> Ratio:
    minimum = settings.STAFFING_MIN_FULLTIME
    counts = rule.fulltime_in_post(unit=unit, on=on)
    ids = set(_schools(unit).values_list("id", flat=True))
    return Ratio(sum(1 for k, n in counts.items() if k in ids and n >= minimum), len(ids))


def researcher_coverage(*, unit: OrgUnit, on: datetime.date) -> Ratio:
    rows = rule.research_unit_staffing(unit=unit, on=on)
    return Ratio(sum(r.fulltime_researchers > 0 for r in rows), len(rows))


def leading_groups(*, unit: OrgUnit, on: datetime.date) -> Ratio:
    both = (
        LeadingGroup.objects.filter(
            Q(dissolved_on__isnull=True) | Q(dissolved_on__gte=on),
            school__path__startswith=unit.path,
            school__is_active=True,
            established_on__lte=on,
            kind__in=[GroupKind.LEADING, GroupKind.CRISIS],
        )
        .order_by()
        .values("school_id")
        .annotate(kinds=Count("kind", distinct=True))
        .filter(kinds=2)
        .count()
    )
    return Ratio(both, _schools(unit).count())


def teacher_training(*, unit: OrgUnit, start: datetime.date, end: datetime.date) -> Ratio:
    """MH teachers (full- or part-time) in post at some time in [start, end]."""
    teachers = MHTeacher.objects.filter(
        Q(end_date__isnull=True) | Q(end_date__gte=start),
        start_date__lte=end,
        school__path__startswith=unit.path,
        kind__in=[PostKind.FULLTIME, PostKind.PARTTIME],
    )
    trained = teachers.filter(
        trainings__event__includes_mh_content=True,
        trainings__event__held_on__gte=start,
        trainings__event__held_on__lte=end,
    )
    return Ratio(trained.distinct().count(), teachers.count())


def homeroom_training(*, unit: OrgUnit, start: datetime.date, end: datetime.date) -> Ratio:
    """Homeroom teachers of classes of the school years overlapping [start, end] under ``unit``
    who attended an MH-content training in [start, end] (matched by user account)."""
    homeroom = (
        SchoolClass.objects.filter(
            school__path__startswith=unit.path,
            school_year__start__lte=end,
            school_year__end__gte=start,
            homeroom_teacher__isnull=False,
        )
        .order_by()
        .values("homeroom_teacher_id")
        .distinct()
    )
    trained = (
        TrainingParticipant.objects.filter(
            user_id__in=homeroom,
            event__includes_mh_content=True,
            event__held_on__gte=start,
            event__held_on__lte=end,
        )
        .order_by()
        .values("user_id")
        .distinct()
        .count()
    )
    return Ratio(trained, homeroom.count())
