"""Writes of individual guidance of disadvantaged students (处境不利, notice §3): the flags (through
the kernel's ``student_set_disadvantages``, with the reason kept encrypted here), who is
responsible for a student, and individual-guidance / peer-support (朋辈帮扶) records.

Who writes: the school's psychology teacher and the county center (policy ``WRITE_GUIDANCE``); the
responsible teacher of a student also writes that student's guidance records. Every write is
audited in its transaction; records are never deleted by users."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from counseling.models import FlagChange, GuidanceKind, GuidanceRecord, GuidanceResponsibility
from mhcare.accounts import policy
from mhcare.accounts.models import Role
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record
from mhcare.notifications.services import notification_send
from mhcare.orgs.models import Student
from mhcare.orgs.services import student_set_disadvantages

REASON_REQUIRED = gettext_lazy("Say why the flags change.")
NOT_A_TEACHER_HERE = gettext_lazy(
    "The responsible teacher must work at the student's school or its county center."
)
FUTURE_DATE = gettext_lazy("The date cannot be in the future.")
SUMMARY_REQUIRED = gettext_lazy("Write what was discussed.")
PEER_HELPER_REQUIRED = gettext_lazy("Name the peer helper (a classmate) for peer support.")
UNKNOWN_KIND = gettext_lazy("Choose a valid kind.")
NO_CHANGE = gettext_lazy("The flags are unchanged.")

NOTIFICATION_KIND = "guidance"


def may_write_guidance(actor: Any, student: Student) -> bool:
    return policy.allowed(actor, policy.Action.WRITE_GUIDANCE, student)


def is_responsible(actor: Any, student: Student) -> bool:
    return GuidanceResponsibility.objects.filter(
        student_id=student.pk, teacher_id=getattr(actor, "pk", None)
    ).exists()


def may_add_record(actor: Any, student: Student) -> bool:
    return may_write_guidance(actor, student) or is_responsible(actor, student)


def eligible_teachers(student: Student) -> QuerySet[Any]:
    """Who may be made responsible: anyone with an active role at the student's school, or county
    center staff of its county."""
    condition = Q(
        assignments__org_unit_id=student.school_id,
        assignments__role__in=[
            Role.PSYCH_TEACHER,
            Role.HOMEROOM_TEACHER,
            Role.SUBJECT_TEACHER,
            Role.SCHOOL_LEADER,
        ],
    ) | Q(assignments__org_unit_id=student.county_id, assignments__role=Role.COUNTY_CENTER)
    return (
        get_user_model()
        .objects.filter(condition, is_active=True, assignments__is_active=True)
        .distinct()
        .order_by("display_name", "username")
    )


@transaction.atomic
def guidance_flags_set(
    *, actor: Any, student: Student, flags: list[str], reason: str
) -> FlagChange | None:
    """Change the student's flags; the kernel audits old → new, the reason is kept here. None when
    nothing changed."""
    policy.require(actor, policy.Action.WRITE_GUIDANCE, student)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": REASON_REQUIRED})
    old, new = student_set_disadvantages(actor=actor, student=student, flags=flags)
    if old == new:
        raise ValidationError({"flags": NO_CHANGE})
    change = FlagChange(
        student=student,
        school_id=student.school_id,
        old_flags=old,
        new_flags=new,
        reason=reason,
        changed_by=actor,
    )
    change.full_clean()
    change.save()
    audit_record(actor=actor, action=Action.CREATE, obj=change, student=student)
    return change


@transaction.atomic
def guidance_assign(*, actor: Any, student: Student, teacher: Any) -> GuidanceResponsibility:
    """Make ``teacher`` responsible for the student's individual guidance (replaces the previous
    one); the teacher is told in the inbox (the title names no student)."""
    policy.require(actor, policy.Action.WRITE_GUIDANCE, student)
    if not eligible_teachers(student).filter(pk=teacher.pk).exists():
        raise ValidationError({"teacher": NOT_A_TEACHER_HERE})
    current = (
        GuidanceResponsibility.objects.select_for_update().filter(student_id=student.pk).first()
    )
    old_teacher = current.teacher_id if current else None
    responsibility = current or GuidanceResponsibility(
        student=student, school_id=student.school_id, county_id=student.county_id
    )
    responsibility.teacher = teacher
    responsibility.assigned_by = actor
    responsibility.full_clean()
    responsibility.save()
    audit_record(
        actor=actor,
        action=Action.UPDATE if current else Action.CREATE,
        obj=responsibility,
        student=student,
        detail={"teacher": [old_teacher, teacher.pk]},
    )
    if old_teacher != teacher.pk and teacher.pk != actor.pk:
        url = reverse("counseling:guidance_student", args=[student.pk])
        key = f"guidance-responsible:{responsibility.pk}:{teacher.pk}:{timezone.now():%Y%m%d%H%M%S}"
        transaction.on_commit(
            lambda: notification_send(
                recipient=teacher,
                kind=NOTIFICATION_KIND,
                key=key,
                title=_("You are responsible for a student's individual guidance"),
                body=_("Open the student's guidance page to see the flags and the records."),
                url=url,
            ),
            robust=True,
        )
    return responsibility


@transaction.atomic
def guidance_record_add(
    *,
    actor: Any,
    student: Student,
    kind: str,
    occurred_on: datetime.date,
    summary: str,
    peer_helper: str = "",
    next_step: str = "",
) -> GuidanceRecord:
    """An individual-guidance talk or a peer-support arrangement for the student."""
    if not may_add_record(actor, student):
        raise PermissionDenied
    errors: dict[str, Any] = {}
    if kind not in GuidanceKind.values:
        errors["kind"] = UNKNOWN_KIND
    if occurred_on > timezone.localdate():
        errors["occurred_on"] = FUTURE_DATE
    if not (summary or "").strip():
        errors["summary"] = SUMMARY_REQUIRED
    if kind == GuidanceKind.PEER and not (peer_helper or "").strip():
        errors["peer_helper"] = PEER_HELPER_REQUIRED
    if errors:
        raise ValidationError(errors)
    record = GuidanceRecord(
        student=student,
        school_id=student.school_id,
        county_id=student.county_id,
        kind=kind,
        occurred_on=occurred_on,
        summary=summary.strip(),
        peer_helper=(peer_helper or "").strip() if kind == GuidanceKind.PEER else "",
        next_step=(next_step or "").strip(),
        author=actor,
    )
    record.full_clean()
    record.save()
    audit_record(actor=actor, action=Action.CREATE, obj=record, student=student)
    return record
