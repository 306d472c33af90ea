"""Reads of the crisis registry, always from the actor's scope.

The high-risk list has two parts: students with a confirmed level (their active case: level,
status, follow-up due date and the overdue mark, 上报 state) and, separately, students whose
proposed level still waits for the comprehensive evaluation (with its age). Lists are keyset
pages: no OFFSET, no COUNT over a county or a province.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from crisis.models import (
    Case,
    CaseEvent,
    CaseReport,
    CaseSource,
    CaseStatus,
    CaseTask,
    CaseTransfer,
    Evaluation,
    FollowUp,
    ReportStatus,
    Review,
    TransferStatus,
)
from mhcare.accounts import policy, scope
from mhcare.accounts.scope import RecordKind
from mhcare.core.risk import LEVEL_COLOURS, RiskLevel
from mhcare.orgs.models import OrgUnit, Student
from mhcare.orgs.selectors import ClassRef, SchoolRef
from screening.models import (
    Observation,
    ProposalStatus,
    RiskProposal,
    ScreeningResult,
)

DUE_SOON_DAYS = 3


def require_case_access(actor: Any) -> None:
    """Roles that never see case-level records get 403 before any lookup."""
    policy.require(actor, policy.Action.VIEW_CASES)


def highrisk_schools(*, actor: Any) -> QuerySet[OrgUnit]:
    return scope.schools(actor, RecordKind.CASE).order_by("path")


def due_state(due: datetime.date | None, today: datetime.date | None = None) -> str:
    """ "overdue" (red), "soon" (within 3 days) or "ok"; "" without a date."""
    if due is None:
        return ""
    today = today or timezone.localdate()
    if due < today:
        return "overdue"
    if due <= today + datetime.timedelta(days=DUE_SOON_DAYS):
        return "soon"
    return "ok"


# --- the list of confirmed cases ------------------------------------------------------------------

SORTS = ("due", "level", "newest")
# The cursor's date part for a case without a follow-up due date (those come last).
NO_DUE = "none"


@dataclass(frozen=True)
class CaseFilters:
    level: str = ""
    school: int | None = None
    grade: int | None = None
    source: str = ""
    overdue: bool = False
    not_reported: bool = False
    sort: str = "due"


@dataclass(slots=True)
class CaseStudentRef:
    id: int
    name: str
    klass: ClassRef


@dataclass(slots=True)
class CaseRow:
    """One row of the high-risk list (and the home panels): what they show of an open case and
    nothing else — no reasons, no student number."""

    pk: int
    level: str
    status: str
    source: str
    next_follow_up_due: datetime.date | None
    unreported: bool
    student: CaseStudentRef
    school: SchoolRef
    due_state: str

    @property
    def id(self) -> int:
        return self.pk

    @property
    def colour(self) -> str:
        return LEVEL_COLOURS.get(RiskLevel(self.level), "")

    def get_level_display(self) -> str:
        return str(LEVEL_LABELS.get(self.level, self.level))

    def get_status_display(self) -> str:
        return str(STATUS_LABELS.get(self.status, self.status))

    def get_source_display(self) -> str:
        return str(SOURCE_LABELS.get(self.source, self.source))


LEVEL_LABELS = dict(RiskLevel.choices)
STATUS_LABELS = dict(CaseStatus.choices)
SOURCE_LABELS = dict(CaseSource.choices)


@dataclass(frozen=True)
class CasePage:
    rows: list[CaseRow]
    next_after: str | None


def _unreported() -> Exists:
    """Whether the case has a 上报 report not yet sent (a correlated subquery)."""
    reports = CaseReport.objects  # scope-lint: allow correlated subquery of the scoped cases
    return Exists(reports.filter(case_id=OuterRef("pk")).exclude(status=ReportStatus.SENT))


def _conditions(filters: CaseFilters) -> list[Q]:
    conditions = []
    if filters.level in RiskLevel.values:
        conditions.append(Q(level=filters.level))
    if filters.school is not None:
        conditions.append(Q(school_id=filters.school))
    if filters.grade is not None:
        conditions.append(Q(student__klass__grade=filters.grade))
    if filters.source in CaseSource.values:
        conditions.append(Q(source=filters.source))
    if filters.overdue:
        conditions.append(Q(next_follow_up_due__lt=timezone.localdate()))
    if filters.not_reported:
        conditions.append(Q(unreported=True))
    return conditions


def case_queryset(*, actor: Any, filters: CaseFilters | None = None) -> QuerySet[Case]:
    """The actor's open cases, filtered (the export; the page reads ``case_list``)."""
    require_case_access(actor)
    queryset = (
        scope.scoped(actor, Case, kind=RecordKind.CASE)
        .exclude(status=CaseStatus.CLOSED)
        .select_related("student", "student__klass", "school")
        .annotate(unreported=_unreported())
    )
    conditions = _conditions(filters or CaseFilters())
    return queryset.filter(*conditions) if conditions else queryset


def _ordered(queryset: QuerySet[Case], sort: str, after: str | None) -> QuerySet[Case]:
    """Keyset order and the page's start (``after`` is the cursor of the previous page's last
    row). A malformed cursor starts from the beginning."""
    if sort == "newest":
        if after and after.isdigit():
            queryset = queryset.filter(id__lt=int(after))
        return queryset.order_by("-id")
    if sort == "level":
        if after and ":" in after:
            level, _sep, pk = after.partition(":")
            if pk.isdigit():
                queryset = queryset.filter(Q(level__gt=level) | Q(level=level, id__gt=int(pk)))
        return queryset.order_by("level", "id")
    if after and ":" in after:
        day, _sep, pk = after.partition(":")
        try:
            due = None if day == NO_DUE else datetime.date.fromisoformat(day)
        except ValueError:
            due, pk = None, ""
        if pk.isdigit() and due is None:
            # Cases without a due date come last (NULLS LAST), by id.
            queryset = queryset.filter(next_follow_up_due__isnull=True, id__gt=int(pk))
        elif pk.isdigit():
            queryset = queryset.filter(
                Q(next_follow_up_due__gt=due)
                | Q(next_follow_up_due=due, id__gt=int(pk))
                | Q(next_follow_up_due__isnull=True)
            )
    return queryset.order_by(F("next_follow_up_due").asc(nulls_last=True), "id")


def _cursor(case: CaseRow, sort: str) -> str:
    if sort == "newest":
        return str(case.pk)
    if sort == "level":
        return f"{case.level}:{case.pk}"
    due = case.next_follow_up_due.isoformat() if case.next_follow_up_due else NO_DUE
    return f"{due}:{case.pk}"


# The columns of a CaseRow, in its order (a tuple per row: no model instances for a list page,
# issue 14 bench 2 — four model objects per row cost more than the SQL itself).
ROW_FIELDS = (
    "id",
    "level",
    "status",
    "source",
    "next_follow_up_due",
    "unreported",
    "student_id",
    "student__name",
    "student__klass_id",
    "student__klass__grade",
    "student__klass__name",
    "school_id",
    "school__name",
)


def _case_row(values: tuple[Any, ...], today: datetime.date) -> CaseRow:
    (
        pk,
        level,
        status,
        source,
        due,
        unreported,
        student_id,
        name,
        klass_id,
        grade,
        klass,
        school_id,
        school,
    ) = values
    return CaseRow(
        pk=pk,
        level=level,
        status=status,
        source=source,
        next_follow_up_due=due,
        unreported=unreported,
        student=CaseStudentRef(
            id=student_id, name=name, klass=ClassRef(id=klass_id, grade=grade, name=klass)
        ),
        school=SchoolRef(id=school_id, name=school),
        due_state=due_state(due, today),
    )


@functools.cache
def _row_base() -> QuerySet[Any]:
    """All open cases as ``ROW_FIELDS`` tuples: never evaluated, only the start of ``case_list``,
    which narrows a copy of it to the actor's scope. Built once per process, as a generic view's
    ``queryset`` attribute: resolving the 上报 subquery, the columns and the joins cost as much as
    running the page's SQL."""
    cases = Case.objects  # scope-lint: allow the start of a list, scoped on every call
    open_cases = cases.exclude(status=CaseStatus.CLOSED).annotate(unreported=_unreported())
    return open_cases.values_list(*ROW_FIELDS)


def case_list(
    *,
    actor: Any,
    filters: CaseFilters | None = None,
    after: str | None = None,
    page_size: int = 50,
) -> CasePage:
    """One keyset page of the actor's open cases (the rows and order of ``case_queryset``), as
    plain ``CaseRow``: one query (the actor's grants are loaded once per request)."""
    require_case_access(actor)
    filters = filters or CaseFilters()
    sort = filters.sort if filters.sort in SORTS else "due"
    queryset = scope.scoped(actor, _row_base(), kind=RecordKind.CASE)
    conditions = _conditions(filters)
    if conditions:
        queryset = queryset.filter(*conditions)
    queryset = _ordered(queryset, sort, after)
    today = timezone.localdate()
    page = cast("Iterable[tuple[Any, ...]]", queryset[: page_size + 1])  # ROW_FIELDS tuples
    rows = [_case_row(values, today) for values in page]
    has_more = len(rows) > page_size
    rows = rows[:page_size]
    return CasePage(rows=rows, next_after=_cursor(rows[-1], sort) if has_more and rows else None)


# --- proposals waiting for the evaluation -----------------------------------------------------


@dataclass(frozen=True)
class ProposalPage:
    rows: list[RiskProposal]
    next_after: int | None


def pending_proposals(
    *, actor: Any, school: int | None = None, after: int | None = None, page_size: int = 50
) -> ProposalPage:
    """One row per student: the most severe pending proposal (newest among equals) of students
    who wait for the comprehensive evaluation, newest first."""
    require_case_access(actor)
    pending = scope.scoped(actor, RiskProposal, kind=RecordKind.CASE).filter(
        status=ProposalStatus.PENDING
    )
    more_relevant = pending.filter(student_id=OuterRef("student_id")).filter(
        Q(level__lt=OuterRef("level")) | Q(level=OuterRef("level"), id__gt=OuterRef("id"))
    )
    queryset = pending.filter(~Exists(more_relevant)).select_related(
        "student", "student__klass", "school"
    )
    if school is not None:
        queryset = queryset.filter(school_id=school)
    if after is not None:
        queryset = queryset.filter(id__lt=after)
    rows = list(queryset.order_by("-id")[: page_size + 1])
    has_more = len(rows) > page_size
    rows = rows[:page_size]
    return ProposalPage(rows=rows, next_after=rows[-1].pk if has_more and rows else None)


# --- one student, one case ---------------------------------------------------------------------


def case_student_get(*, actor: Any, pk: Any) -> Student:
    """A student whose case records the actor sees, or 404 (403 first for roles without)."""
    require_case_access(actor)
    return scope.get_scoped_or_404(
        actor,
        Student.objects.select_related("school", "klass"),
        kind=RecordKind.CASE,
        pk=pk,
    )


def evaluation_context(*, actor: Any, student: Student) -> dict[str, Any]:
    """Everything the comprehensive evaluation weighs, on one page."""
    results = list(
        scope.scoped(actor, ScreeningResult, kind=RecordKind.SCORE)
        .filter(student=student)
        .select_related("instrument", "campaign")
        .order_by("-administered_on", "-id")[:50]
    )
    proposals = list(
        scope.scoped(actor, RiskProposal, kind=RecordKind.CASE)
        .filter(student=student)
        .select_related("source_result__instrument")
        .order_by("-id")[:50]
    )
    observations = list(
        scope.scoped(actor, Observation, kind=RecordKind.OBSERVATION)
        .filter(student=student)
        .select_related("reporter")
        .order_by("-observed_on", "-id")[:50]
    )
    evaluations = list(
        scope.scoped(actor, Evaluation, kind=RecordKind.CASE)
        .filter(student=student)
        .select_related("evaluated_by")
        .order_by("-evaluated_at")[:20]
    )
    cases = list(
        scope.scoped(actor, Case, kind=RecordKind.CASE).filter(student=student).order_by("-id")
    )
    return {
        "results": results,
        "proposals": proposals,
        "pending": [p for p in proposals if p.status == ProposalStatus.PENDING],
        "observations": observations,
        "evaluations": evaluations,
        "cases": cases,
        "active_case": next((c for c in cases if c.status != CaseStatus.CLOSED), None),
    }


def case_get(*, actor: Any, pk: Any) -> Case:
    """A case of the actor's scope; or, for a school the student left, the case it handed over
    (read-only, what that school wrote) until the transfer's access period ends. Else 404."""
    require_case_access(actor)
    cases = Case.objects.select_related(  # scope-lint: allow read through get_scoped_or_404
        "student", "student__klass", "school", "responsible"
    )
    former = False
    try:
        case = scope.get_scoped_or_404(actor, cases, kind=RecordKind.CASE, pk=pk)
    except Http404:
        if not str(pk).isdigit():
            raise
        handed_over = (
            scope.scoped(actor, CaseTransfer, kind=RecordKind.CASE)
            .filter(
                case_id=int(pk),
                status=TransferStatus.ACCEPTED,
                old_school_access_until__gte=timezone.localdate(),
            )
            .exists()
        )
        if not handed_over:
            raise
        case = cases.get(pk=pk)  # scope-lint: allow handed-over case, checked just above
        former = True
    case.due_state = due_state(case.next_follow_up_due)  # type: ignore[attr-defined]
    case.former_school_view = former  # type: ignore[attr-defined]
    return case


def case_history(*, actor: Any, case: Case) -> dict[str, Any]:
    # ``case`` came from case_get: an emergency (break-glass) grant on it opens its history too.
    events = list(
        scope.scoped(actor, CaseEvent, kind=RecordKind.CASE, break_glass=True)
        .filter(case=case)
        .select_related("actor")
        .order_by("at", "id")
    )
    follow_ups = list(
        scope.scoped(actor, FollowUp, kind=RecordKind.CASE, break_glass=True)
        .filter(case=case)
        .select_related("by")
        .order_by("-done_on", "-id")
    )
    reports = list(
        scope.scoped(actor, CaseReport, kind=RecordKind.CASE).filter(case=case).order_by("-version")
    )
    tasks = list(
        scope.scoped(actor, CaseTask, kind=RecordKind.FLAG)
        .filter(case=case)
        .select_related("assignee")
        .order_by("due_on", "id")
    )
    transfers = list(
        scope.scoped(actor, CaseTransfer, kind=RecordKind.CASE)
        .filter(case=case)
        .select_related("to_school")
        .order_by("-id")
    )
    return {
        "events": events,
        "follow_ups": follow_ups,
        "reports": reports,
        "tasks": tasks,
        "transfers": transfers,
    }


def active_case_flag(*, actor: Any, student: Student) -> Case | None:
    """The student's active case as a flag (class roles learn only that there is one)."""
    return (
        scope.scoped(actor, Case, kind=RecordKind.FLAG)
        .filter(student=student)
        .exclude(status=CaseStatus.CLOSED)
        .first()
    )


def my_tasks(*, actor: Any, limit: int = 20) -> list[CaseTask]:
    """Open tasks given to the actor (a homeroom teacher sees her tasks, never the notes)."""
    return list(
        scope.scoped(actor, CaseTask, kind=RecordKind.FLAG)
        .filter(assignee=actor, done_at__isnull=True)
        .select_related("student", "student__klass")
        .order_by("due_on", "id")[:limit]
    )


def incoming_transfers(*, actor: Any) -> list[CaseTransfer]:
    """Transfers waiting for one of the actor's schools to accept them."""
    schools = scope.schools(actor, RecordKind.CASE)
    return list(
        CaseTransfer.objects.filter(  # scope-lint: allow filtered to the actor's schools
            status=TransferStatus.PENDING, to_school__in=schools
        )
        .select_related("case__student", "from_school", "to_school")
        .order_by("id")
    )


def review_list(*, actor: Any, limit: int = 50) -> list[Review]:
    require_case_access(actor)
    return list(
        scope.scoped(actor, Review, kind=RecordKind.CASE)
        .select_related("school", "created_by")
        .prefetch_related("decisions__case__student")
        .order_by("-held_on", "-id")[:limit]
    )


def review_cases(*, actor: Any, school: OrgUnit) -> list[Case]:
    """The school's active cases, for the review form."""
    return list(
        scope.scoped(actor, Case, kind=RecordKind.CASE)
        .exclude(status=CaseStatus.CLOSED)
        .filter(school=school)
        .select_related("student", "student__klass")
        .order_by("level", "next_follow_up_due", "id")
    )


def transfer_get(*, actor: Any, pk: Any) -> CaseTransfer:
    """A transfer waiting for one of the actor's schools, or 404."""
    for transfer in incoming_transfers(actor=actor):
        if str(transfer.pk) == str(pk):
            return transfer
    raise Http404
