"""Reads of individual guidance (notice §3), always from the actor's scope.

Who sees what:

- the watch list (students with 处境不利 flags, their responsible teacher, the date of the last
  guidance): the school's psychology teacher and leader, the county center, and a homeroom teacher
  for the own class (policy ``VIEW_GUIDANCE``); the responsible teacher sees the students in their
  care on the home page and on each student's guidance page;
- what guidance happened (date, kind, by whom): the same people;
- what was said (summary, peer helper, next step, why flags changed): only the record's author and
  ``RecordKind.NOTE`` readers (the school's psychology teachers, the county center). The school
  leader, class teachers and officials never receive the text: rows carry it only when allowed.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from counseling.guidance.services import is_responsible
from counseling.models import FlagChange, GuidanceRecord, GuidanceResponsibility
from mhcare.accounts import policy, scope
from mhcare.orgs.models import Student


@dataclass(frozen=True)
class WatchFilters:
    flag: str = ""  # a Disadvantage value
    responsible: int | None = None  # a user id; 0 = nobody responsible yet
    quiet_days: int | None = None  # no guidance in this many days (or never)
    school: int | None = None


@dataclass(frozen=True)
class WatchPage:
    rows: list[Student]
    next_after: int | None


@dataclass(frozen=True)
class RecordRow:
    """A guidance record as the actor may see it: ``summary`` etc. are empty unless
    ``shows_text``."""

    pk: int
    kind: str
    kind_label: str
    occurred_on: datetime.date
    author: Any
    shows_text: bool
    summary: str = ""
    peer_helper: str = ""
    next_step: str = ""


@dataclass(frozen=True)
class FlagChangeRow:
    changed_at: datetime.datetime
    changed_by: Any
    old_labels: list[str]
    new_labels: list[str]
    reason: str  # empty unless the actor reads notes


def _last_guidance() -> Subquery:
    return Subquery(
        GuidanceRecord.objects.filter(student_id=OuterRef("pk"))  # scope-lint: allow outer scoped
        .order_by("-occurred_on")
        .values("occurred_on")[:1]
    )


def _responsible(field: str) -> Subquery:
    return Subquery(
        GuidanceResponsibility.objects.filter(  # scope-lint: allow outer query scoped
            student_id=OuterRef("pk")
        ).values(field)[:1]
    )


def watch_queryset(*, actor: Any, filters: WatchFilters | None = None) -> QuerySet[Student]:
    """Enrolled students with at least one flag that the actor's guidance assignments cover,
    annotated with the last guidance date and the responsible teacher; by id."""
    policy.require(actor, policy.Action.VIEW_GUIDANCE)
    filters = filters or WatchFilters()
    queryset = policy.narrow(
        actor,
        policy.Action.VIEW_GUIDANCE,
        scope.scoped(actor, Student.objects.enrolled().exclude(disadvantages=[])),
    )
    if filters.flag:
        queryset = queryset.filter(disadvantages__contains=[filters.flag])
    if filters.school is not None:
        queryset = queryset.filter(school_id=filters.school)
    queryset = queryset.select_related("klass", "school").annotate(
        last_guidance=_last_guidance(),
        responsible_id=_responsible("teacher_id"),
        responsible_name=_responsible("teacher__display_name"),
    )
    if filters.responsible == 0:
        queryset = queryset.filter(responsible_id__isnull=True)
    elif filters.responsible is not None:
        queryset = queryset.filter(responsible_id=filters.responsible)
    if filters.quiet_days is not None:
        since = timezone.localdate() - datetime.timedelta(days=filters.quiet_days)
        queryset = queryset.filter(Q(last_guidance__isnull=True) | Q(last_guidance__lt=since))
    return queryset.order_by("id")


def watch_list(
    *,
    actor: Any,
    filters: WatchFilters | None = None,
    after: int | None = None,
    page_size: int = 50,
) -> WatchPage:
    """One keyset page of the watch list (by id; no OFFSET, no COUNT)."""
    queryset = watch_queryset(actor=actor, filters=filters)
    if after is not None:
        queryset = queryset.filter(id__gt=after)
    rows = list(queryset[: page_size + 1])
    has_more = len(rows) > page_size
    rows = rows[:page_size]
    return WatchPage(rows=rows, next_after=rows[-1].pk if has_more and rows else None)


def may_view_student(actor: Any, student: Student) -> bool:
    return policy.allowed(actor, policy.Action.VIEW_GUIDANCE, student) or is_responsible(
        actor, student
    )


def guidance_student_get(*, actor: Any, pk: Any) -> Student:
    """A student's guidance page: for guidance viewers covering the student and the responsible
    teacher; 404 for anyone else, like a missing student."""
    try:
        found = Student.objects.select_related("klass", "school")  # scope-lint: allow checked below
        student = found.get(pk=int(pk))
    except (Student.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    if not may_view_student(actor, student):
        raise Http404
    return student


def reads_text(actor: Any, record: GuidanceRecord | FlagChange, *, note_ids: set[int]) -> bool:
    author_id = getattr(record, "author_id", None) or getattr(record, "changed_by_id", None)
    return record.pk in note_ids or author_id == getattr(actor, "pk", None)


def student_records(*, actor: Any, student: Student) -> list[RecordRow]:
    """The student's guidance records, newest first; text only for its author and note readers.
    The caller has checked ``may_view_student``."""
    records = list(
        GuidanceRecord.objects.filter(student_id=student.pk)  # scope-lint: allow student checked
        .select_related("author")
        .order_by("-occurred_on", "-id")
    )
    if not records:  # most students: no second query for whose notes the actor reads
        return []
    note_ids = set(
        scope.scoped(actor, GuidanceRecord)
        .filter(student_id=student.pk)
        .values_list("pk", flat=True)
    )
    rows = []
    for r in records:
        text = reads_text(actor, r, note_ids=note_ids)
        rows.append(
            RecordRow(
                pk=r.pk,
                kind=r.kind,
                kind_label=str(r.get_kind_display()),
                occurred_on=r.occurred_on,
                author=r.author,
                shows_text=text,
                summary=r.summary if text else "",
                peer_helper=r.peer_helper if text else "",
                next_step=r.next_step if text else "",
            )
        )
    return rows


def student_flag_changes(*, actor: Any, student: Student) -> list[FlagChangeRow]:
    from mhcare.orgs.models import Disadvantage

    labels = dict(Disadvantage.choices)
    changes = list(
        FlagChange.objects.filter(student_id=student.pk)  # scope-lint: allow student checked
        .select_related("changed_by")
        .order_by("-changed_at", "-id")
    )
    if not changes:
        return []
    note_ids = set(
        scope.scoped(actor, FlagChange).filter(student_id=student.pk).values_list("pk", flat=True)
    )
    return [
        FlagChangeRow(
            changed_at=c.changed_at,
            changed_by=c.changed_by,
            old_labels=[str(labels.get(f, f)) for f in c.old_flags],
            new_labels=[str(labels.get(f, f)) for f in c.new_flags],
            reason=c.reason if reads_text(actor, c, note_ids=note_ids) else "",
        )
        for c in changes
    ]


def student_responsibility(*, student: Student) -> GuidanceResponsibility | None:
    return (
        GuidanceResponsibility.objects.filter(  # scope-lint: allow student checked by caller
            student_id=student.pk
        )
        .select_related("teacher")
        .first()
    )


def my_students(*, actor: Any, limit: int = 10) -> list[Student]:
    """Students the actor is responsible for (home panel), quietest first."""
    ids = GuidanceResponsibility.objects.filter(  # scope-lint: allow own responsibilities
        teacher_id=getattr(actor, "pk", None)
    ).values("student_id")
    return list(
        Student.objects.filter(pk__in=ids)  # scope-lint: allow the actor is responsible
        .enrolled()
        .select_related("klass", "school")
        .annotate(last_guidance=_last_guidance())
        .order_by("last_guidance", "id")[:limit]
    )
