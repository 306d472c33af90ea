"""Reads of extreme incidents (notice §12), always starting from the actor's scope.

Who sees what:

- the school's psychology teacher and leader, the county center, and officials (the bureau) at
  county / city / province see the incidents of their subtree (``RecordKind.INCIDENT``); any other
  role gets 403 before any lookup, an incident outside the subtree is 404 like a missing one;
- students involved are shown by name only to roles that see students (``RecordKind.STUDENT``);
  officials see how many students, by grade — never a name;
- the summary ("what happened") and the timeline's free text are shown as written to the roles
  that see the school's students; the bureau (a role that sees the incident but not the
  students) reads the text the school cleared of names (``incident_clear_for_bureau``) and the
  timeline's free text written before that clearance — until then, the checklist times only.
  Counseling details live in cases and session records, which this module never reads nor links
  to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import reduce
from operator import add, or_
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Case, Count, Q, QuerySet, Value, When
from django.utils.translation import gettext_lazy as _

from crisis.incidents.services import (
    NOT_NEEDED_PREFIX,
    STEP_FIELDS,
    STEPS_BY_FIELD,
    action_text,
    is_checklist_action,
    may_manage,
)
from crisis.models import Incident, IncidentAction
from mhcare.accounts import policy, scope
from mhcare.accounts.scope import RecordKind
from mhcare.orgs.models import OrgUnit, Student

OPEN_ANY = "any"
WITHHELD = _("(not shown to the bureau until the school clears the text of names)")
WITHHELD_NOT_NEEDED = _("Checklist: %(step)s not needed")


@dataclass(frozen=True)
class IncidentFilters:
    kind: str = ""  # an IncidentKind value
    severity: str = ""  # an IncidentSeverity value
    open_step: str = ""  # "any" (checklist incomplete) or a step field that is still open
    school: int | None = None


@dataclass(frozen=True)
class IncidentPage:
    rows: list[Incident]
    next_after: int | None  # the ``after`` cursor (an incident id) of the next page


@dataclass(frozen=True)
class IncidentStudents:
    """The students involved as the actor may see them: names only with student access; always
    how many, by grade."""

    count: int
    by_grade: list[tuple[int, int]]  # (grade, how many)
    named: list[Student] = field(default_factory=list)
    shows_names: bool = False


@dataclass(frozen=True)
class TimelineRow:
    at: Any
    text: str
    actor: Any
    is_checklist: bool


def require_viewer(actor: Any) -> None:
    """Roles that never see incidents get 403 before any lookup."""
    policy.require(actor, policy.Action.VIEW_INCIDENTS)


def require_manager(actor: Any) -> None:
    """Roles that never record incidents (officials, teachers, ...) get 403 before any lookup."""
    if not may_manage(actor):
        raise PermissionDenied


def incident_schools(*, actor: Any) -> QuerySet[OrgUnit]:
    return scope.schools(actor, RecordKind.INCIDENT).order_by("path")


def step_open_q(name: str) -> Q:
    """The step is neither done nor marked not needed."""
    return Q(**{f"{name}__isnull": True}) & ~Q(not_needed__contains=[name])


def incomplete_q() -> Q:
    """An incident whose emergency checklist still has an open step."""
    return reduce(or_, (step_open_q(name) for name in STEP_FIELDS))


def open_step_count() -> Any:
    """How many checklist steps of the row are still open, computed in SQL."""
    terms = [Case(When(step_open_q(name), then=Value(1)), default=Value(0)) for name in STEP_FIELDS]
    return reduce(add, terms[1:], terms[0])


def incident_queryset(*, actor: Any, filters: IncidentFilters | None = None) -> QuerySet[Incident]:
    """The actor's incidents, newest first (by when they occurred, then by id)."""
    require_viewer(actor)
    filters = filters or IncidentFilters()
    queryset = scope.scoped(actor, Incident).select_related("school")
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    if filters.severity:
        queryset = queryset.filter(severity=filters.severity)
    if filters.open_step == OPEN_ANY:
        queryset = queryset.filter(incomplete_q())
    elif filters.open_step in STEP_FIELDS:
        queryset = queryset.filter(step_open_q(filters.open_step))
    if filters.school is not None:
        queryset = queryset.filter(school_id=filters.school)
    return queryset.annotate(
        student_count=Count("students"), open_step_count=open_step_count()
    ).order_by("-occurred_at", "-id")


def incident_list(
    *,
    actor: Any,
    filters: IncidentFilters | None = None,
    after: int | None = None,
    page_size: int = 50,
) -> IncidentPage:
    """One keyset page on (occurred_at, id) descending. The cursor is the last row's id; its time
    is read back through the same scope (an unknown cursor gives an empty page). No OFFSET, no
    COUNT."""
    queryset = incident_queryset(actor=actor, filters=filters)
    if after is not None:
        cursor = (
            scope.scoped(actor, Incident).filter(pk=after).values_list("occurred_at", flat=True)
        )
        occurred = cursor.first()
        if occurred is None:
            return IncidentPage(rows=[], next_after=None)
        queryset = queryset.filter(
            Q(occurred_at__lt=occurred) | Q(occurred_at=occurred, id__lt=after)
        )
    rows = list(queryset[: page_size + 1])
    has_more = len(rows) > page_size
    rows = rows[:page_size]
    return IncidentPage(rows=rows, next_after=rows[-1].pk if has_more and rows else None)


def incident_get(*, actor: Any, pk: Any) -> Incident:
    """One incident: 403 for roles that never see incidents, 404 outside the scope or missing."""
    require_viewer(actor)
    return scope.get_scoped_or_404(
        actor, Incident.objects.select_related("school", "county", "reported_by"), pk=pk
    )


def incident_manage_get(*, actor: Any, pk: Any) -> Incident:
    """An incident to write to: 403 for roles that never record incidents, then 404 like
    ``incident_get``."""
    require_manager(actor)
    return incident_get(actor=actor, pk=pk)


def incident_students(*, actor: Any, incident: Incident) -> IncidentStudents:
    through = Incident.students.through
    links = through.objects.filter(incident_id=incident.pk)
    by_grade = [
        (row["student__klass__grade"], row["n"])
        for row in links.values("student__klass__grade")
        .annotate(n=Count("id"))
        .order_by("student__klass__grade")
    ]
    count = sum(n for _, n in by_grade)
    if not scope.can(actor, RecordKind.STUDENT):
        return IncidentStudents(count=count, by_grade=by_grade)
    named = list(
        scope.scoped(actor, Student)
        .filter(pk__in=links.values("student_id"))
        .select_related("klass")
        .order_by("klass__grade", "klass__name", "name", "id")
    )
    return IncidentStudents(count=count, by_grade=by_grade, named=named, shows_names=True)


def reads_names(actor: Any, incident: Incident) -> bool:
    """Whether the actor sees the school's students, and so the narrative as written."""
    return policy.allowed(actor, policy.Action.VIEW_STUDENTS, incident)


def incident_summary(*, actor: Any, incident: Incident) -> str | None:
    """ "What happened" as this actor may read it; None for the bureau until the school cleared a
    text of names."""
    if reads_names(actor, incident):
        return incident.summary
    return incident.bureau_summary if incident.cleared_for_bureau_at else None


def _bureau_text(incident: Incident, action: IncidentAction) -> str:
    cleared = incident.cleared_for_bureau_at
    if cleared is not None and action.created_at <= cleared:
        return action_text(action.description)
    if action.description.startswith(NOT_NEEDED_PREFIX):
        field_name = action.description[len(NOT_NEEDED_PREFIX) :].partition("\n")[0]
        step = STEPS_BY_FIELD.get(field_name)
        if step is not None:  # the step, without the reason written for it
            return str(WITHHELD_NOT_NEEDED) % {"step": str(step.label)}
    if is_checklist_action(action.description):
        return action_text(action.description)
    return str(WITHHELD)


def incident_timeline(*, actor: Any, incident: Incident) -> list[TimelineRow]:
    """The incident's actions sorted by time (then by entry); for the bureau, free text only as
    the school cleared it (``reads_names``)."""
    names = reads_names(actor, incident)
    actions = (
        scope.scoped(actor, IncidentAction)
        .filter(incident_id=incident.pk)
        .select_related("actor")
        .order_by("at", "id")
    )
    return [
        TimelineRow(
            at=a.at,
            text=action_text(a.description) if names else _bureau_text(incident, a),
            actor=a.actor,
            is_checklist=is_checklist_action(a.description),
        )
        for a in actions
    ]


def incident_incomplete(*, actor: Any, limit: int = 10) -> list[Incident]:
    """Incidents of the actor's scope whose checklist is incomplete, newest first (home panel)."""
    if not scope.can(actor, RecordKind.INCIDENT):
        return []
    return list(incident_queryset(actor=actor, filters=IncidentFilters(open_step=OPEN_ANY))[:limit])
