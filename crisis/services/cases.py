"""The comprehensive evaluation, cases, their level and status, follow-ups and homeroom tasks."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crisis.models import (
    Case,
    CaseEventKind,
    CaseSource,
    CaseStatus,
    CaseTask,
    Evaluation,
    FollowUp,
    Review,
)
from crisis.services.common import (
    ALREADY_CLOSED,
    ANOTHER_OPEN_CASE,
    BEFORE_CASE,
    DUE_ORDER,
    DUE_TOO_LATE,
    FUTURE_DATE,
    LOWER_ONE_NEEDS_REVIEW,
    NONE_WITH_OPEN_CASE,
    NOT_CLOSED,
    SAME_LEVEL,
    TASK_ASSIGNEE,
    _event,
    _lock,
    _next_due,
    _require_reason,
    _require_writer,
    _today,
    may_write_cases,
)
from crisis.services.reports import report_enqueue
from mhcare.accounts import policy, scope
from mhcare.accounts.models import Role
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record
from mhcare.core.risk import RiskLevel, cadence_days
from mhcare.orgs.models import Student
from screening import services as screening_services
from screening.models import RiskProposal


def _source_of(proposals: Sequence[RiskProposal]) -> str:
    if any(p.source_result_id for p in proposals):
        return CaseSource.SCREENING
    if proposals:
        return CaseSource.OBSERVATION
    return CaseSource.SELF_REFERRAL


@dataclass(frozen=True)
class EvaluationOutcome:
    evaluation: Evaluation
    case: Case | None
    opened: bool


@transaction.atomic
def evaluation_confirm(
    *,
    actor: Any,
    student: Student,
    level: str,
    reason: str,
    source: str | None = None,
) -> EvaluationOutcome:
    """The comprehensive evaluation: a person confirms ``level`` ("" = none, "1"–"3") for the
    student with a reason. Pending proposals become confirmed (a level) or dismissed (none).
    Confirming a level opens the student's case, or raises it; lowering goes through the case
    page (and, from 一级, a review)."""
    _require_writer(actor, student)
    reason = _require_reason(reason)
    if level and level not in RiskLevel.values:
        raise ValidationError({"level": _("Choose a level.")}, code="invalid")
    case = Case.objects.select_for_update().filter(student=student).active().first()
    if not level and case is not None:
        raise ValidationError({"level": NONE_WITH_OPEN_CASE}, code="open_case")
    pending = screening_services.proposals_pending_lock(student=student)
    opened = False
    if level:
        if case is None:
            case = _case_open(
                actor=actor,
                student=student,
                level=level,
                reason=reason,
                source=source or _source_of(pending),
            )
            opened = True
        elif level < case.level:  # "1" < "2": a more severe level
            case = case_change_level(actor=actor, case=case, level=level, reason=reason)
        elif level > case.level:
            raise ValidationError(
                {"level": _("To lower the level of an open case, use the case page.")},
                code="lower",
            )
    evaluation = Evaluation.objects.create(
        student=student,
        school_id=student.school_id,
        county_id=student.county_id,
        level=level,
        reason=reason,
        case=case,
        evaluated_by=actor,
    )
    if pending:
        evaluation.proposals.set(pending)
        screening_services.proposals_resolve(proposals=pending, confirmed=bool(level))
    audit_record(
        actor=actor,
        action=Action.CREATE,
        obj=evaluation,
        student=student,
        detail={
            "level": level,
            "proposals": [p.pk for p in pending],
            "case": case.pk if case else None,
            "opened": opened,
        },
    )
    return EvaluationOutcome(evaluation=evaluation, case=case, opened=opened)


def _case_open(*, actor: Any, student: Student, level: str, reason: str, source: str) -> Case:
    now = timezone.now()
    case = Case(
        student=student,
        school_id=student.school_id,
        county_id=student.county_id,
        level=level,
        source=source,
        responsible=actor if policy.holds(actor, Role.PSYCH_TEACHER, student) else None,
        opened_on=_today(),
        open_reason=reason,
        level_confirmed_at=now,
        next_follow_up_due=_next_due(level),
    )
    try:
        with transaction.atomic():
            case.save()
    except IntegrityError as exc:
        raise ValidationError(ANOTHER_OPEN_CASE, code="open_case") from exc
    _event(case, actor=actor, kind=CaseEventKind.OPENED, reason=reason, to_level=level)
    report_enqueue(case)
    audit_record(
        actor=actor,
        action=Action.CREATE,
        obj=case,
        student=student,
        detail={"level": level, "source": source},
    )
    return case


@transaction.atomic
def case_change_level(
    *, actor: Any, case: Case, level: str, reason: str, review: Review | None = None
) -> Case:
    """Raise or lower an open case's level with a reason (lowering a 一级 case needs a review)."""
    case = _lock(case)
    _require_writer(actor, case.student, review)
    reason = _require_reason(reason)
    if case.status == CaseStatus.CLOSED:
        raise ValidationError(ALREADY_CLOSED, code="closed")
    if level not in RiskLevel.values:
        raise ValidationError({"level": _("Choose a level.")}, code="invalid")
    if level == case.level:
        raise ValidationError({"level": SAME_LEVEL}, code="same")
    if case.level == RiskLevel.LEVEL_1 and level > case.level and review is None:
        raise ValidationError({"level": LOWER_ONE_NEEDS_REVIEW}, code="review")
    previous = case.level
    case.level = level
    case.version += 1
    case.level_confirmed_at = timezone.now()
    due = _next_due(level)
    if level < previous:
        # Raising shortens the cadence at once; lowering keeps the date already promised.
        current = case.next_follow_up_due
        case.next_follow_up_due = min(current, due) if current else due
    case.save()
    _event(
        case,
        actor=actor,
        kind=CaseEventKind.LEVEL,
        reason=reason,
        from_level=previous,
        to_level=level,
        review=review,
    )
    report_enqueue(case)
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        obj=case,
        student=case.student,
        detail={"level": [previous, level], "review": review.pk if review else None},
    )
    return case


@transaction.atomic
def case_set_status(
    *, actor: Any, case: Case, status: str, reason: str, review: Review | None = None
) -> Case:
    """Move an open case between open / monitoring / referred, close it (reason; review for 一级)
    or reopen a closed one (reason; refused while another case of the student is open)."""
    case = _lock(case)
    _require_writer(actor, case.student, review)
    reason = _require_reason(reason)
    previous = case.status
    if status not in CaseStatus.values:
        raise ValidationError({"status": _("Choose a status.")}, code="invalid")
    if status == previous:
        raise ValidationError({"status": _("The case already has this status.")}, code="same")
    kind = CaseEventKind.STATUS
    if status == CaseStatus.CLOSED:
        if case.level == RiskLevel.LEVEL_1 and review is None:
            raise ValidationError({"status": LOWER_ONE_NEEDS_REVIEW}, code="review")
        case.closed_on = _today()
        case.close_reason = reason
        case.next_follow_up_due = None
        kind = CaseEventKind.CLOSED
    elif previous == CaseStatus.CLOSED:
        if status != CaseStatus.OPEN:
            raise ValidationError({"status": NOT_CLOSED}, code="reopen")
        case.closed_on = None
        case.close_reason = ""
        case.level_confirmed_at = timezone.now()
        case.next_follow_up_due = _next_due(case.level)
        kind = CaseEventKind.REOPENED
    case.status = status
    case.version += 1
    try:
        with transaction.atomic():
            case.save()
    except IntegrityError as exc:
        raise ValidationError({"status": ANOTHER_OPEN_CASE}, code="open_case") from exc
    _event(
        case,
        actor=actor,
        kind=kind,
        reason=reason,
        from_status=previous,
        to_status=status,
        review=review,
    )
    if kind in (CaseEventKind.REOPENED, CaseEventKind.CLOSED):
        report_enqueue(case)
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        obj=case,
        student=case.student,
        detail={"status": [previous, status], "review": review.pk if review else None},
    )
    return case


@transaction.atomic
def follow_up_record(
    *,
    actor: Any,
    case: Case,
    done_on: datetime.date,
    way: str,
    state_observed: str,
    actions: str = "",
    next_due: datetime.date | None = None,
) -> FollowUp:
    """Log a follow-up (回访) and move the case's due date: by default one cadence after this
    follow-up; an earlier date may be chosen, never a later one."""
    case = _lock(case)
    _require_writer(actor, case.student)
    if case.status == CaseStatus.CLOSED:
        raise ValidationError(ALREADY_CLOSED, code="closed")
    state_observed = _require_reason(state_observed, "state_observed")
    errors: dict[str, Any] = {}
    if done_on > _today():
        errors["done_on"] = FUTURE_DATE
    elif done_on < case.opened_on:
        errors["done_on"] = BEFORE_CASE % {"date": case.opened_on}
    latest = done_on + datetime.timedelta(days=cadence_days(case.level))
    due = next_due or latest
    if "done_on" not in errors:
        if due <= done_on:
            errors["next_due"] = DUE_ORDER
        elif due > latest:
            errors["next_due"] = DUE_TOO_LATE % {
                "level": case.get_level_display(),
                "days": cadence_days(case.level),
                "date": latest,
            }
    if errors:
        raise ValidationError(errors)
    follow_up = FollowUp.objects.create(
        case=case,
        student_id=case.student_id,
        school_id=case.school_id,
        done_on=done_on,
        way=way,
        by=actor,
        state_observed=state_observed,
        actions=actions.strip(),
        next_due=due,
    )
    # The newest follow-up sets the date (an older one entered late does not push it back).
    newest = FollowUp.objects.filter(case=case).order_by("-done_on", "-id").first()
    case.next_follow_up_due = newest.next_due if newest else due
    case.save(update_fields=["next_follow_up_due", "updated_at"])
    audit_record(
        actor=actor,
        action=Action.CREATE,
        obj=follow_up,
        student=case.student,
        detail={"case": case.pk, "way": way, "next_due": due.isoformat()},
    )
    return follow_up


@transaction.atomic
def task_create(
    *, actor: Any, case: Case, assignee: Any, title: str, due_on: datetime.date
) -> CaseTask:
    """Give a teacher of the student's class (or school) a task about the case student. The task
    carries no notes."""
    _require_writer(actor, case.student)
    teaches = any(
        g.unit_id == case.school_id or g.class_id == case.student.klass_id
        for g in scope.grants(assignee)
    )
    if not teaches:
        raise ValidationError({"assignee": TASK_ASSIGNEE}, code="assignee")
    task = CaseTask.objects.create(
        case=case,
        student_id=case.student_id,
        school_id=case.school_id,
        assignee=assignee,
        title=_require_reason(title, "title"),
        due_on=due_on,
        created_by=actor,
    )
    audit_record(actor=actor, action=Action.CREATE, obj=task, student=case.student)
    return task


@transaction.atomic
def task_done(*, actor: Any, task: CaseTask) -> CaseTask:
    if task.assignee_id != actor.pk and not may_write_cases(actor, task.student):
        raise PermissionDenied
    if task.done_at is None:
        task.done_at = timezone.now()
        task.save(update_fields=["done_at"])
        audit_record(actor=actor, action=Action.UPDATE, obj=task, detail={"done": True})
    return task


# --- 研判 reviews ----------------------------------------------------------------------


@transaction.atomic
def case_resume_after_referral(*, actor: Any, case: Case, reason: str) -> Case:
    """The student is back at school after a referral (issue 10): a "referred" case becomes "open"
    again and its next follow-up is due at the level's cadence from today. Called by the referrals
    app (crisis never imports it); a case that is not "referred" keeps its status."""
    case = _lock(case)
    _require_writer(actor, case.student)
    reason = _require_reason(reason)
    if case.status == CaseStatus.CLOSED:
        raise ValidationError(ALREADY_CLOSED, code="closed")
    previous = case.status
    case.next_follow_up_due = _next_due(case.level)
    if previous == CaseStatus.REFERRED:
        case.status = CaseStatus.OPEN
        case.version += 1
    case.save()
    if previous != case.status:
        _event(
            case,
            actor=actor,
            kind=CaseEventKind.STATUS,
            reason=reason,
            from_status=previous,
            to_status=case.status,
        )
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        obj=case,
        student=case.student,
        detail={
            "status": [previous, case.status],
            "next_follow_up_due": str(case.next_follow_up_due),
        },
    )
    return case
