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

The package: ``common`` (messages, who writes, events, locks), ``cases`` (evaluation, level, status,
follow-ups, tasks), ``reports`` (the outbox rows), ``reviews`` (研判), ``transfers``. Callers import
from ``crisis.services``.
"""

from crisis.services.cases import (
    EvaluationOutcome,
    case_change_level,
    case_resume_after_referral,
    case_set_status,
    evaluation_confirm,
    follow_up_record,
    task_create,
    task_done,
)
from crisis.services.common import (
    ALREADY_CLOSED,
    ANOTHER_OPEN_CASE,
    BEFORE_CASE,
    CASE_OTHER_SCHOOL,
    CASE_WRITERS,
    DECISION_DIRECTION,
    DECISION_LEVEL,
    DUE_ORDER,
    DUE_TOO_LATE,
    FUTURE_DATE,
    LOWER_ONE_NEEDS_REVIEW,
    NO_DECISIONS,
    NONE_WITH_OPEN_CASE,
    NOT_ALLOWED,
    NOT_CLOSED,
    OLD_SCHOOL_ACCESS_DAYS,
    REASON_REQUIRED,
    REPORT_WITHIN,
    REPORTED_LEVELS,
    REVIEW_WRITERS,
    SAME_LEVEL,
    STATUS_BY_CLOSE,
    TASK_ASSIGNEE,
    TRANSFER_DECIDED,
    TRANSFER_PENDING,
    TRANSFER_SAME_SCHOOL,
    may_record_reviews,
    may_write_cases,
)
from crisis.services.reports import report_enqueue, report_payload
from crisis.services.reviews import DecisionInput, review_record
from crisis.services.transfers import may_accept_transfer, transfer_decide, transfer_request

__all__ = [
    "ALREADY_CLOSED",
    "ANOTHER_OPEN_CASE",
    "BEFORE_CASE",
    "CASE_OTHER_SCHOOL",
    "CASE_WRITERS",
    "DECISION_DIRECTION",
    "DECISION_LEVEL",
    "DUE_ORDER",
    "DUE_TOO_LATE",
    "FUTURE_DATE",
    "LOWER_ONE_NEEDS_REVIEW",
    "NONE_WITH_OPEN_CASE",
    "NOT_ALLOWED",
    "NOT_CLOSED",
    "NO_DECISIONS",
    "OLD_SCHOOL_ACCESS_DAYS",
    "REASON_REQUIRED",
    "REPORTED_LEVELS",
    "REPORT_WITHIN",
    "REVIEW_WRITERS",
    "SAME_LEVEL",
    "STATUS_BY_CLOSE",
    "TASK_ASSIGNEE",
    "TRANSFER_DECIDED",
    "TRANSFER_PENDING",
    "TRANSFER_SAME_SCHOOL",
    "DecisionInput",
    "EvaluationOutcome",
    "case_change_level",
    "case_resume_after_referral",
    "case_set_status",
    "evaluation_confirm",
    "follow_up_record",
    "may_accept_transfer",
    "may_record_reviews",
    "may_write_cases",
    "report_enqueue",
    "report_payload",
    "review_record",
    "task_create",
    "task_done",
    "transfer_decide",
    "transfer_request",
]
