"""Writes for screening campaigns: creating one, and entering a result from the grid or the API
(the result itself goes through ``screening.services.result_create``, the one entry path)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mhcare.audit.models import Action
from mhcare.audit.services import audit_record
from mhcare.orgs.models import OrgKind, OrgUnit, SchoolYear, Semester, Student, ancestor_paths
from screening import scoring
from screening.campaigns import selectors
from screening.campaigns.selectors import creator_units
from screening.models import (
    Campaign,
    CampaignCoverage,
    CampaignInstrument,
    Instrument,
    InstrumentKind,
    ResultSource,
    ScreeningResult,
)
from screening.services import result_create

NOT_ALLOWED = _("You may not run a campaign for this unit.")
WINDOW_ORDER = _("The window must close on or after the day it opens.")
WINDOW_OUTSIDE_YEAR = _("The window must lie within the school year (%(start)s – %(end)s).")
SEMESTER_OTHER_YEAR = _("This semester belongs to another school year.")
NO_GRADES = _("Choose at least one target grade.")
BAD_GRADE = _("Grades run from 1 to 12.")
NO_INSTRUMENTS = _("Choose at least one instrument.")
GRADE_RANGE = _("%(code)s: the grades must run from low to high, within 1–12.")
INSTRUMENT_GRADES = _("%(code)s applies to grades %(min)s–%(max)s only.")
INSTRUMENT_TWICE = _("%(code)s is used twice for grade %(grade)s.")
GRADES_UNCOVERED = _("No instrument is chosen for grade(s) %(grades)s.")
RESULT_EXISTS = _(
    "A different result is already saved for this student. It was not changed: to replace it, "
    "edit the saved row and confirm the change."
)


class ResultExistsError(Exception):
    """An entry would change a saved result without saying it means to (``replace``)."""

    def __init__(self, result: ScreeningResult) -> None:
        super().__init__(str(RESULT_EXISTS))
        self.result = result


@dataclass(frozen=True)
class InstrumentPlan:
    instrument: Instrument
    grade_min: int
    grade_max: int


def _validate(
    *,
    school_year: SchoolYear,
    semester: Semester | None,
    window_start: datetime.date,
    window_end: datetime.date,
    target_grades: Sequence[int],
    plans: Sequence[InstrumentPlan],
) -> None:
    errors: dict[str, list[Any]] = {}

    def add(name: str, message: Any) -> None:
        errors.setdefault(name, []).append(message)

    if window_end < window_start:
        add("window_end", WINDOW_ORDER)
    elif window_start < school_year.start or window_end > school_year.end:
        add(
            "window_end",
            WINDOW_OUTSIDE_YEAR % {"start": school_year.start, "end": school_year.end},
        )
    if semester is not None and semester.school_year_id != school_year.pk:
        add("semester", SEMESTER_OTHER_YEAR)
    if not target_grades:
        add("target_grades", NO_GRADES)
    elif any(not 1 <= int(g) <= 12 for g in target_grades):
        add("target_grades", BAD_GRADE)
    if not plans:
        add("instruments", NO_INSTRUMENTS)
    seen: set[tuple[int, int]] = set()
    covered: set[int] = set()
    for plan in plans:
        code = plan.instrument.code
        if not 1 <= plan.grade_min <= plan.grade_max <= 12:
            add("instruments", GRADE_RANGE % {"code": code})
            continue
        grades = plan.instrument.definition.get("grades") or {}
        low, high = int(grades.get("min", 1)), int(grades.get("max", 12))
        if plan.grade_min < low or plan.grade_max > high:
            add("instruments", INSTRUMENT_GRADES % {"code": code, "min": low, "max": high})
        for grade in range(plan.grade_min, plan.grade_max + 1):
            if (plan.instrument.pk, grade) in seen:
                add("instruments", INSTRUMENT_TWICE % {"code": code, "grade": grade})
                break
            seen.add((plan.instrument.pk, grade))
            covered.add(grade)
    uncovered = sorted({int(g) for g in target_grades} - covered)
    if plans and uncovered and "instruments" not in errors:
        add("instruments", GRADES_UNCOVERED % {"grades": ", ".join(map(str, uncovered))})
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def campaign_create(
    *,
    actor: Any,
    name: str,
    org_unit: OrgUnit,
    school_year: SchoolYear,
    window_start: datetime.date,
    window_end: datetime.date,
    plans: Sequence[InstrumentPlan],
    target_grades: Sequence[int] = tuple(range(4, 13)),
    semester: Semester | None = None,
    allow_self_screening: bool = False,
) -> Campaign:
    """Create a campaign run by ``org_unit`` with its instruments per grade band. Every school in
    the unit's subtree takes part."""
    if not creator_units(actor=actor).filter(pk=org_unit.pk).exists():
        raise PermissionDenied(NOT_ALLOWED)
    grades = sorted({int(g) for g in target_grades})
    _validate(
        school_year=school_year,
        semester=semester,
        window_start=window_start,
        window_end=window_end,
        target_grades=grades,
        plans=plans,
    )
    campaign = Campaign(
        name=name.strip(),
        school_year=school_year,
        semester=semester,
        org_unit=org_unit,
        target_grades=grades,
        window_start=window_start,
        window_end=window_end,
        allow_self_screening=allow_self_screening,
        created_by=actor,
    )
    campaign.full_clean()
    campaign.save()
    CampaignInstrument.objects.bulk_create(
        CampaignInstrument(
            campaign=campaign,
            instrument=plan.instrument,
            grade_min=plan.grade_min,
            grade_max=plan.grade_max,
        )
        for plan in plans
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        obj=campaign,
        detail={
            "name": campaign.name,
            "unit": org_unit.code,
            "grades": grades,
            "instruments": [f"{p.instrument} {p.grade_min}-{p.grade_max}" for p in plans],
        },
    )
    # Its coverage pages read pre-aggregated counts: count the enrolled students once, now.
    transaction.on_commit(lambda: campaign_coverage_refresh(campaign=campaign), robust=True)
    return campaign


OUTSIDE_WINDOW = _("The campaign's window is %(start)s – %(end)s: this date lies outside it.")


def campaign_result_save(
    *,
    actor: Any,
    campaign: Campaign,
    student: Student,
    instrument: Instrument,
    administered_on: datetime.date,
    answers: Sequence[Any] | None = None,
    scores: Mapping[str, Any] | None = None,
    source: str = ResultSource.GRID,
    replace: bool = False,
) -> tuple[ScreeningResult, bool]:
    """Store the student's result in the campaign; ``(result, created)``. The date must lie in
    the campaign's window.

    A saved result changes only when the caller says so (``replace=True``, an explicit, confirmed
    edit); otherwise an entry that differs from it raises ``ResultExistsError`` and changes
    nothing. An entry identical to the saved one is a harmless repeat. A replacement is audited
    twice: the update itself (``result_create``) and the explicit edit with the total, band and
    date it replaced (no item answers in the audit trail)."""
    if not campaign.window_start <= administered_on <= campaign.window_end:
        raise ValidationError(
            {
                "administered_on": OUTSIDE_WINDOW
                % {"start": campaign.window_start, "end": campaign.window_end}
            },
            code="window",
        )
    with transaction.atomic():
        existing = (
            ScreeningResult.objects.select_for_update()
            .filter(campaign=campaign, student=student, instrument=instrument)
            .first()
        )
        if (
            existing is not None
            and not replace
            and not _same_entry(existing, instrument, administered_on, answers, scores)
        ):
            raise ResultExistsError(existing)
        previous = (
            None
            if existing is None
            else {
                "total": str(existing.total) if existing.total is not None else None,
                "band": existing.band,
                "administered_on": existing.administered_on.isoformat(),
                "values": (existing.answers, existing.scores),
            }
        )
        result = result_create(
            actor=actor,
            student=student,
            instrument=instrument,
            administered_on=administered_on,
            answers=answers if instrument.kind == InstrumentKind.ITEM else None,
            scores=scores if instrument.kind == InstrumentKind.SCORE else None,
            campaign=campaign,
            source=source,
        )
        if previous is not None and replace and _changed(previous, result):
            audit_record(
                actor=actor,
                action=Action.UPDATE,
                obj=result,
                student=student,
                detail={
                    "campaign": campaign.pk,
                    "instrument": str(instrument),
                    "explicit_edit": True,
                    "replaced": {k: v for k, v in previous.items() if k != "values"},
                    "source": str(source),
                },
            )
    return result, existing is None


def _same_entry(
    existing: ScreeningResult,
    instrument: Instrument,
    administered_on: datetime.date,
    answers: Sequence[Any] | None,
    scores: Mapping[str, Any] | None,
) -> bool:
    """Would this entry store exactly what is saved? (Bad values are not "the same": they fail
    later with their own message.)"""
    try:
        outcome = scoring.outcome_for(instrument, answers=answers, scores=scores)
    except ValidationError:
        return True  # result_create refuses them with the reasons
    return (
        existing.administered_on == administered_on
        and list(existing.answers or []) == list(outcome.answers or [])
        and dict(existing.scores or {}) == dict(outcome.scores or {})
    )


def _changed(previous: Mapping[str, Any], result: ScreeningResult) -> bool:
    return bool(
        previous["values"] != (result.answers, result.scores)
        or previous["administered_on"] != result.administered_on.isoformat()
    )


def score_only(instrument: Instrument, values: Mapping[str, Any]) -> scoring.ScoreOutcome:
    """Validate and score without storing (bulk validation before any write)."""
    if instrument.kind == InstrumentKind.ITEM:
        return scoring.outcome_for(instrument, answers=values.get("answers"))
    return scoring.outcome_for(instrument, scores=values.get("scores"))


# --- pre-aggregated coverage (issue 14) ----------------------------------------------------------


def coverage_campaigns(*, within: str | None = None) -> QuerySet[Campaign]:
    """The campaigns whose counts the refresh keeps current: those of the current school year,
    and any campaign never counted yet (a campaign from before the counts existed is counted
    once). With ``within`` (a unit's path): only campaigns reaching that subtree."""
    year = SchoolYear.current()
    campaigns = Campaign.objects.filter(
        Q(coverage_computed_at__isnull=True) | Q(school_year=year)
    ).select_related("org_unit")
    if within:
        campaigns = campaigns.filter(
            Q(org_unit__path__in=ancestor_paths(within)) | Q(org_unit__path__startswith=within)
        )
    return campaigns.order_by("id")


def campaign_coverage_refresh(*, campaign: Campaign, within: str | None = None) -> int:
    """Recount ``campaign``'s coverage of every school in its subtree (or only under ``within``,
    a unit's path: the sweep after an import recounts one county) with the one grouped statement
    of the live coverage, then upsert the schools' counts and drop the rows of schools that no
    longer count anyone, in one transaction. Running it twice leaves the same rows (only
    ``computed_at`` moves). Returns the schools counted."""
    path = campaign.org_unit.path
    if within and within.startswith(path):
        path = within
    elif within and not path.startswith(within):
        return 0  # the campaign does not reach that subtree
    # every student: the counts are filtered by scope when read
    students: QuerySet[Student] = Student.objects.all()
    # A county's or a school's students through their own indexed column, not a scan of every
    # student joined to the schools' paths (the nightly job recounts ~90 county campaigns).
    unit = campaign.org_unit if path == campaign.org_unit.path else OrgUnit.objects.get(path=path)
    if unit.kind == OrgKind.COUNTY:
        students = students.filter(county_id=unit.pk)
    elif unit.kind == OrgKind.SCHOOL:
        students = students.filter(school_id=unit.pk)
    counted = selectors.campaign_students(students, campaign, path)
    whole = path == campaign.org_unit.path
    counts = selectors.grouped_counts(campaign, counted, "s.school_id", whole=whole)
    now = timezone.now()
    schools = list(counts)
    table = CampaignCoverage._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (campaign_id, school_id, enrolled, completed, computed_at)
            SELECT %s, s, e, c, %s FROM unnest(%s::bigint[], %s::int[], %s::int[]) AS t(s, e, c)
            ON CONFLICT (campaign_id, school_id) DO UPDATE
            SET enrolled = EXCLUDED.enrolled, completed = EXCLUDED.completed,
                computed_at = EXCLUDED.computed_at
            """,  # noqa: S608 - the model's table; every value is a parameter
            [
                campaign.pk,
                now,
                schools,
                [counts[s][0] for s in schools],
                [counts[s][1] for s in schools],
            ],
        )
        CampaignCoverage.objects.filter(campaign=campaign, school__path__startswith=path).exclude(
            school_id__in=schools
        ).delete()
        Campaign.objects.filter(pk=campaign.pk).update(coverage_computed_at=now)
    return len(schools)


def coverage_refresh(*, within: str | None = None) -> int:
    """Recount every campaign of ``coverage_campaigns`` (the nightly job; the sweep after imports
    passes a county's path). Returns the school rows counted."""
    return sum(
        campaign_coverage_refresh(campaign=campaign, within=within)
        for campaign in coverage_campaigns(within=within)
    )
