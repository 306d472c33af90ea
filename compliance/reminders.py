"""The compliance reminder rule, registered with the kernel engine from ``ComplianceConfig.ready``.

``rectification_overdue`` (object: rectification notice, due: its deadline): the deadline has
passed and the notice is still open or returned (not replied, not accepted) → the school's
leaders, stage 1 (urgent), and the official who issued it, stage 2. Once per notice, deadline,
recipient and stage (the engine's ledger)."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from compliance.models import Rectification, RectificationStatus
from mhcare.accounts.models import Role, RoleAssignment, User
from mhcare.core.reminders.services import LEDGER_INSERT, Due, Message, register_rule

RULE_RECTIFICATION_OVERDUE = "rectification_overdue"

OVERDUE_SQL = (
    """
WITH late AS (
    SELECT r.id, r.school_id, r.deadline, r.issued_by_id FROM {rect} r
    WHERE r.deadline < %(today)s AND r.status IN (%(open)s, %(returned)s)
),
due AS (
    SELECT l.id AS object_id, l.deadline AS due_on, 1 AS stage, ra.user_id AS recipient_id
    FROM late l
    JOIN {assignment} ra ON ra.org_unit_id = l.school_id AND ra.role = %(leader)s AND ra.is_active
    JOIN {user} u ON u.id = ra.user_id AND u.is_active
    UNION ALL
    SELECT l.id, l.deadline, 2, u.id FROM late l JOIN {user} u ON u.id = l.issued_by_id
    WHERE u.is_active
)"""  # noqa: S608 - only table names are formatted in; every value is a bound parameter
    + LEDGER_INSERT
)


def _tables() -> dict[str, str]:
    return {
        "rect": Rectification._meta.db_table,
        "assignment": RoleAssignment._meta.db_table,
        "user": User._meta.db_table,
    }


def _params(today: datetime.date, now: datetime.datetime) -> dict[str, Any]:
    return {
        "open": RectificationStatus.OPEN.value,
        "returned": RectificationStatus.RETURNED.value,
        "leader": Role.SCHOOL_LEADER.value,
    }


def _messages(dues: Sequence[Due], today: datetime.date) -> Callable[[Due], Message]:
    items = Rectification.objects.select_related("school").in_bulk([d.object_id for d in dues])

    def message(due: Due) -> Message:
        item = items[due.object_id]
        return Message(
            _("Rectification overdue: %(school)s, due %(date)s")
            % {"school": item.school.name, "date": due.due_on.isoformat()},
            _("The deadline of this rectification notice has passed without a reply."),
            reverse("compliance:rectification", args=[item.pk]),
        )

    return message


def register() -> None:
    register_rule(
        RULE_RECTIFICATION_OVERDUE,
        kind="rectification_overdue",
        object_type="rectification",
        sql=OVERDUE_SQL,
        params=_params,
        messages=_messages,
        namespace="compliance",
        tables=_tables,
    )
