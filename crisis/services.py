"""Writes of the crisis registry: the comprehensive evaluation, cases and their levels and status,
follow-ups, tasks, 研判 reviews, transfers, and the 上报 outbox row of every 一级 / 二级 change.

Rules kept here (and tested):
- a score only proposes; a person confirms a level with a reason (``evaluation_confirm``);
- one case per student is not closed (also a database constraint);
- every level or status change is a ``CaseEvent`` with who, when and why, and bumps ``version``;
- lowering or closing needs a reason, and for a 一级 case the crisis group's review decision;
- every open case has a follow-up due date from the cadence of its level;
- a 一级 / 二级 confirmation puts a (case, version) row in the 上报 outbox in the same transaction;
  so does the change that takes a reported case off the register (lowered to 三级, or closed).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crisis.models import (
    Case,
    CaseEvent,
    CaseEventKind,
    CaseReport,
    CaseSource,
    CaseStatus,
    CaseTask,
    CaseTransfer,
    Evaluation,
    FollowUp,
    Review,
    ReviewDecision,
    ReviewDecisionKind,
    TransferStatus,
)
from mhcare.accounts import policy, scope
from mhcare.accounts.models import Role
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record
from mhcare.core.risk import RiskLevel, cadence_days
from mhcare.orgs.models import OrgUnit, Student
from screening import services as screening_services
from screening.models import RiskProposal

# Roles that decide levels and keep case records (the county center supervises and may act).
CASE_WRITERS = policy.ACTION_RULES[policy.Action.WRITE_CASE].roles
REVIEW_WRITERS = policy.ACTION_RULES[policy.Action.RECORD_REVIEW].roles
REPORTED_LEVELS = ("1", "2")
REPORT_WITHIN = datetime.timedelta(hours=24)
OLD_SCHOOL_ACCESS_DAYS = 90

NOT_ALLOWED = _("You may not change crisis records of this student.")
REASON_REQUIRED = _("Give the reason.")
NONE_WITH_OPEN_CASE = _(
    "This student has an open case. To end it, close the case (with its reason) on the case page."
)
LOWER_ONE_NEEDS_REVIEW = _(
    "A level 1 case is lowered or closed only by the school crisis group's review decision."
)
SAME_LEVEL = _("The case already has this level.")
ALREADY_CLOSED = _("The case is closed.")
NOT_CLOSED = _("Only a closed case can be reopened.")
ANOTHER_OPEN_CASE = _("The student already has another open case.")
FUTURE_DATE = _("The date cannot be in the future.")
BEFORE_CASE = _("The date cannot be before the case was opened (%(date)s).")
DUE_ORDER = _("The next follow-up must come after this one.")
DUE_TOO_LATE = _("At level %(level)s the next follow-up is due within %(days)s days (by %(date)s).")
STATUS_BY_CLOSE = _("Use “close” to close a case.")
NO_DECISIONS = _("Record a decision for at least one case.")
DECISION_LEVEL = _("Raising or lowering needs the new level.")
DECISION_DIRECTION = _("The new level does not match the decision.")
CASE_OTHER_SCHOOL = _("This case belongs to another school.")
TRANSFER_SAME_SCHOOL = _("The student is already at this school.")
TRANSFER_PENDING = _("A transfer of this case is already waiting.")
TRANSFER_DECIDED = _("This transfer has already been decided.")
TASK_ASSIGNEE = _("Tasks go to a teacher of the student's class or school.")


def _today() -> datetime.date:
    return timezone.localdate()


def may_write_cases(actor: Any, student: Student | None = None) -> bool:
    """A case writer's assignment (somewhere, or covering ``student``): ``policy.WRITE_CASE``."""
    return policy.allowed(actor, policy.Action.WRITE_CASE, student)


def _require_writer(actor: Any, student: Student, review: Review | None = None) -> None:
    """Case writers of the student's school; for a change decided by a 研判 review, also the
    school leader who records it."""
    if review is not None and may_record_reviews(actor, review.school):
        return
    if not may_write_cases(actor, student):
        raise PermissionDenied(NOT_ALLOWED)


def _require_reason(reason: str, field: str = "reason") -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({field: REASON_REQUIRED}, code="required")
    return reason


def _event(
    case: Case,
    *,
    actor: Any,
    kind: str,
    reason: str = "",
    from_level: str = "",
    to_level: str = "",
    from_status: str = "",
    to_status: str = "",
    review: Review | None = None,
) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case,
        school_id=case.school_id,
        kind=kind,
        from_level=from_level,
        to_level=to_level,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        review=review,
        actor=actor,
    )


def report_payload(case: Case) -> dict[str, Any]:
    """What 上报 sends to the provincial platform (format ``mhcare.case-report/1``)."""
    student = case.student
    school = OrgUnit.objects.only("code", "name").get(pk=case.school_id)
    county = OrgUnit.objects.only("code", "name").get(pk=case.county_id)
    responsible = case.responsible
    return {
        "schema": "mhcare.case-report/1",
        "case_id": case.pk,
        "version": case.version,
        "level": case.level,
        "status": case.status,
        "source": case.source,
        "confirmed_at": case.level_confirmed_at.astimezone(datetime.UTC).isoformat(),
        "student": {
            "student_number": student.student_number,
            "name": student.name,
            "gender": student.gender,
            "birth_date": student.birth_date.isoformat(),
        },
        "school": {"code": school.code, "name": school.name},
        "county": {"code": county.code, "name": county.name},
        "responsible": (responsible.get_full_name() or responsible.username)
        if responsible
        else None,
    }


def _is_reportable(level: str, status: str) -> bool:
    return level in REPORTED_LEVELS and status != CaseStatus.CLOSED


def report_enqueue(case: Case) -> CaseReport | None:
    """Put the case's current version in the 上报 outbox (idempotent by case and version) when it
    is 一级 / 二级 and active — or when it takes a reported case off that register (lowered to
    三级 or closed): the platform must learn the change, the payload says the new level and
    status. Delivery is the reporting task's job."""
    existing = CaseReport.objects.filter(case=case, version=case.version).first()
    if existing is not None:
        return existing
    reportable = _is_reportable(case.level, case.status)
    if not reportable:
        last = (
            CaseReport.objects.filter(case=case, version__lt=case.version)
            .order_by("-version")
            .only("level", "payload")
            .first()
        )
        if last is None or not _is_reportable(last.level, str(last.payload.get("status", ""))):
            return None  # never reported, or its leaving the register is reported already
    # A closure keeps the last confirmation time: its deadline runs from now.
    start = case.level_confirmed_at if reportable else timezone.now()
    return CaseReport.objects.create(
        case=case,
        school_id=case.school_id,
        county_id=case.county_id,
        version=case.version,
        level=case.level,
        payload=report_payload(case),
        due_by=start + REPORT_WITHIN,
        next_attempt_at=timezone.now(),
    )


def _source_of(proposals: Sequence[RiskProposal]) -> str:
    if any(p.source_result_id for p in proposals):
        return CaseSource.SCREENING
    if proposals:
        return CaseSource.OBSERVATION
    return CaseSource.SELF_REFERRAL


def _next_due(level: str, start: datetime.date | None = None) -> datetime.date:
    return (start or _today()) + datetime.timedelta(days=cadence_days(level))


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


def _lock(case: Case) -> Case:
    return Case.objects.select_for_update().select_related("student").get(pk=case.pk)


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


@dataclass(frozen=True)
class DecisionInput:
    case: Case
    decision: str
    new_level: str = ""
    note: str = ""


def may_record_reviews(actor: Any, school: OrgUnit) -> bool:
    return policy.allowed(actor, policy.Action.RECORD_REVIEW, school)


@transaction.atomic
def review_record(
    *,
    actor: Any,
    school: OrgUnit,
    held_on: datetime.date,
    participants: str,
    decisions: Iterable[DecisionInput],
    summary: str = "",
    next_review_on: datetime.date | None = None,
) -> Review:
    """Record a 研判 meeting of the school crisis group and apply its decisions: keep, raise or
    lower a level, refer, close. Changes made here carry the review (so a 一级 case may be
    lowered or closed)."""
    if not may_record_reviews(actor, school):
        raise PermissionDenied(NOT_ALLOWED)
    errors: dict[str, Any] = {}
    if held_on > _today():
        errors["held_on"] = FUTURE_DATE
    if next_review_on is not None and next_review_on <= held_on:
        errors["next_review_on"] = _("The next review comes after this one.")
    participants = (participants or "").strip()
    if not participants:
        errors["participants"] = REASON_REQUIRED
    decisions = list(decisions)
    if not decisions:
        errors["decisions"] = NO_DECISIONS
    for item in decisions:
        if item.case.school_id != school.pk:
            errors["decisions"] = CASE_OTHER_SCHOOL
        if item.decision in (ReviewDecisionKind.RAISE, ReviewDecisionKind.LOWER):
            if item.new_level not in RiskLevel.values:
                errors["decisions"] = DECISION_LEVEL
            elif (item.decision == ReviewDecisionKind.RAISE) != (item.new_level < item.case.level):
                errors["decisions"] = DECISION_DIRECTION
    if errors:
        raise ValidationError(errors)
    review = Review.objects.create(
        school=school,
        held_on=held_on,
        participants=participants,
        summary=summary.strip(),
        next_review_on=next_review_on,
        created_by=actor,
    )
    reason_base = str(_("研判 review of %(date)s") % {"date": held_on})
    for item in decisions:
        ReviewDecision.objects.create(
            review=review,
            case=item.case,
            decision=item.decision,
            new_level=item.new_level,
            note=item.note,
        )
        reason = f"{reason_base}: {item.note}".strip().rstrip(":")
        if item.decision in (ReviewDecisionKind.RAISE, ReviewDecisionKind.LOWER):
            case_change_level(
                actor=actor, case=item.case, level=item.new_level, reason=reason, review=review
            )
        elif item.decision == ReviewDecisionKind.REFER:
            case_set_status(
                actor=actor,
                case=item.case,
                status=CaseStatus.REFERRED,
                reason=reason,
                review=review,
            )
        elif item.decision == ReviewDecisionKind.CLOSE:
            case_set_status(
                actor=actor,
                case=item.case,
                status=CaseStatus.CLOSED,
                reason=reason,
                review=review,
            )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        obj=review,
        detail={
            "cases": [d.case.pk for d in decisions],
            "decisions": [d.decision for d in decisions],
        },
    )
    return review


# --- transfers -----------------------------------------------------------------------------------


@transaction.atomic
def transfer_request(*, actor: Any, case: Case, to_school: OrgUnit, note: str = "") -> CaseTransfer:
    """The old school hands the case over to the student's new school, which must accept it."""
    case = _lock(case)
    _require_writer(actor, case.student)
    if case.status == CaseStatus.CLOSED:
        raise ValidationError(ALREADY_CLOSED, code="closed")
    if to_school.pk == case.school_id or not to_school.is_school:
        raise ValidationError({"to_school": TRANSFER_SAME_SCHOOL}, code="same")
    if CaseTransfer.objects.filter(case=case, status=TransferStatus.PENDING).exists():
        raise ValidationError(TRANSFER_PENDING, code="pending")
    transfer = CaseTransfer.objects.create(
        case=case,
        from_school_id=case.school_id,
        to_school=to_school,
        note=note.strip(),
        requested_by=actor,
    )
    audit_record(
        actor=actor,
        action=Action.CREATE,
        obj=transfer,
        student=case.student,
        detail={"to_school": to_school.code},
    )
    return transfer


def may_accept_transfer(actor: Any, transfer: CaseTransfer) -> bool:
    return policy.allowed(actor, policy.Action.WRITE_CASE, transfer.to_school)


@transaction.atomic
def transfer_decide(
    *, actor: Any, transfer: CaseTransfer, accept: bool, to_class: Any = None
) -> CaseTransfer:
    """The new school accepts (the case, the student's enrolment and history move; the old school
    keeps read access to what it wrote for ``OLD_SCHOOL_ACCESS_DAYS``) or declines."""
    transfer = (
        CaseTransfer.objects.select_for_update().select_related("to_school").get(pk=transfer.pk)
    )
    if not may_accept_transfer(actor, transfer):
        raise PermissionDenied(NOT_ALLOWED)
    if transfer.status != TransferStatus.PENDING:
        raise ValidationError(TRANSFER_DECIDED, code="decided")
    transfer.decided_by = actor
    transfer.decided_at = timezone.now()
    if not accept:
        transfer.status = TransferStatus.DECLINED
        transfer.save()
        audit_record(actor=actor, action=Action.UPDATE, obj=transfer, detail={"accepted": False})
        return transfer
    if to_class is None or to_class.school_id != transfer.to_school_id:
        raise ValidationError({"to_class": _("Choose the student's class at the new school.")})
    case = _lock(transfer.case)
    student = case.student
    student.school_id = transfer.to_school_id
    county_id: int = transfer.to_school.parent_id or student.county_id
    student.county_id = county_id
    student.klass = to_class
    student.save(update_fields=["school", "county", "klass", "updated_at"])
    previous_school = case.school_id
    case.school_id = transfer.to_school_id
    case.county_id = county_id
    case.responsible = (
        actor if policy.holds(actor, Role.PSYCH_TEACHER, transfer.to_school) else None
    )
    case.version += 1
    case.save()
    transfer.status = TransferStatus.ACCEPTED
    transfer.to_class = to_class
    transfer.old_school_access_until = _today() + datetime.timedelta(days=OLD_SCHOOL_ACCESS_DAYS)
    transfer.save()
    _event(
        case,
        actor=actor,
        kind=CaseEventKind.TRANSFERRED,
        reason=str(_("Transferred from another school")),
    )
    report_enqueue(case)
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        obj=case,
        student=student,
        detail={"transfer": transfer.pk, "from_school": previous_school},
    )
    return transfer
