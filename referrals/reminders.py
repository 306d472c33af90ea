"""The referral reminder rules, registered with the kernel's reminder engine
(``mhcare.core.reminders``) from ``ReferralsConfig.ready()``; they run in the existing scan task.

- ``referral_not_accepted`` (due: the sending date + ``REFERRAL_ACCEPT_WITHIN_DAYS``) — still
  "sent" → the institution's staff (stage 0) and the person who made the referral (stage 1);
- ``referral_no_feedback`` (due: acceptance, else sending, + ``REFERRAL_FEEDBACK_WITHIN_DAYS``) —
  accepted or in treatment without feedback → the institution's staff (stage 0) and the maker
  (stage 1);
- ``referral_return_plan`` (due: the return + ``REFERRAL_RETURN_PLAN_WITHIN_DAYS``) — returned
  without a return plan → the maker, else the school's psychology teachers (stage 0).

Titles name the institution and the date, never the student (they are e-mailed). Keys and
notification kinds are in the ``referrals`` namespace.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy

from mhcare.accounts.models import Role, RoleAssignment, User
from mhcare.core.reminders.services import (
    LEDGER_INSERT,
    Due,
    Message,
    MessageBuilder,
    register_rule,
)
from referrals.models import Institution, Referral, ReferralState

NAMESPACE = "referrals"
RULE_NOT_ACCEPTED = "referral_not_accepted"
RULE_NO_FEEDBACK = "referral_no_feedback"
RULE_RETURN_PLAN = "referral_return_plan"
RULES = (RULE_NOT_ACCEPTED, RULE_NO_FEEDBACK, RULE_RETURN_PLAN)


def _tables() -> dict[str, str]:
    return {
        "referral": Referral._meta.db_table,
        "institution": Institution._meta.db_table,
        "assignment": RoleAssignment._meta.db_table,
        "user": User._meta.db_table,
    }


def _params(today: datetime.date, now: datetime.datetime) -> dict[str, Any]:
    return {
        "staff_role": Role.INSTITUTION_STAFF,
        "psych": Role.PSYCH_TEACHER,
        "sent": ReferralState.SENT,
        "accepted": ReferralState.ACCEPTED,
        "in_treatment": ReferralState.IN_TREATMENT,
        "returned": ReferralState.RETURNED,
        "accept_days": settings.REFERRAL_ACCEPT_WITHIN_DAYS,
        "feedback_days": settings.REFERRAL_FEEDBACK_WITHIN_DAYS,
        "plan_days": settings.REFERRAL_RETURN_PLAN_WITHIN_DAYS,
    }


STAFF_CTE = """
staff AS (
    SELECT ra.user_id, ra.role, ra.org_unit_id
    FROM {assignment} ra JOIN {user} u ON u.id = ra.user_id
    WHERE ra.is_active AND u.is_active AND ra.role IN (%(staff_role)s, %(psych)s)
)"""


# The institution's staff (stage 0) and the maker of the referral (stage 1) for a ``pending``
# CTE of (id, institution_id, made_by_id, due_on).
INSTITUTION_AND_MAKER = """,
due AS (
    SELECT p.id AS object_id, p.due_on, s.user_id AS recipient_id, 0 AS stage
    FROM pending p JOIN {institution} i ON i.id = p.institution_id
    JOIN staff s ON s.role = %(staff_role)s AND s.org_unit_id = i.unit_id
    WHERE p.due_on <= %(today)s
    UNION ALL
    SELECT p.id, p.due_on, mu.id, 1
    FROM pending p JOIN {user} mu ON mu.id = p.made_by_id AND mu.is_active
    WHERE p.due_on <= %(today)s
)"""

NOT_ACCEPTED_SQL = (
    "WITH"  # noqa: S608 - only table names are formatted in; every value is a bound parameter
    + STAFF_CTE
    + """,
pending AS (
    SELECT r.id, r.institution_id, r.made_by_id,
           (r.sent_at AT TIME ZONE %(tz)s)::date + %(accept_days)s::int AS due_on
    FROM {referral} r
    WHERE r.state = %(sent)s
)"""
    + INSTITUTION_AND_MAKER
    + LEDGER_INSERT
)

NO_FEEDBACK_SQL = (
    "WITH"  # noqa: S608 - only table names are formatted in; every value is a bound parameter
    + STAFF_CTE
    + """,
pending AS (
    SELECT r.id, r.institution_id, r.made_by_id,
           (COALESCE(r.accepted_at, r.sent_at) AT TIME ZONE %(tz)s)::date
               + %(feedback_days)s::int AS due_on
    FROM {referral} r
    WHERE r.state IN (%(accepted)s, %(in_treatment)s) AND r.feedback_at IS NULL
)"""
    + INSTITUTION_AND_MAKER
    + LEDGER_INSERT
)

RETURN_PLAN_SQL = (
    "WITH"  # noqa: S608 - only table names are formatted in; every value is a bound parameter
    + STAFF_CTE
    + """,
pending AS (
    SELECT r.id, r.school_id, r.made_by_id,
           (r.returned_at AT TIME ZONE %(tz)s)::date + %(plan_days)s::int AS due_on
    FROM {referral} r
    WHERE r.state = %(returned)s AND r.return_plan_at IS NULL
),
due AS (
    SELECT p.id AS object_id, p.due_on, COALESCE(mu.id, s.user_id) AS recipient_id, 0 AS stage
    FROM pending p
    LEFT JOIN {user} mu ON mu.id = p.made_by_id AND mu.is_active
    LEFT JOIN staff s ON mu.id IS NULL AND s.role = %(psych)s AND s.org_unit_id = p.school_id
    WHERE p.due_on <= %(today)s
)"""
    + LEDGER_INSERT
)


def _date(value: datetime.date) -> str:
    return value.isoformat()


def _builder(title: Any, body: Any) -> MessageBuilder:
    def build(dues: Sequence[Due], today: datetime.date) -> Callable[[Due], Message]:
        referrals = Referral.objects.select_related("institution__unit", "school").in_bulk(
            [d.object_id for d in dues]
        )

        def message(due: Due) -> Message:
            referral = referrals[due.object_id]
            values = {
                "institution": referral.institution.name,
                "school": referral.school.name,
                "date": _date(due.due_on),
            }
            return Message(
                str(title) % values,
                str(body) % values,
                reverse("referrals:detail", args=[referral.pk]),
            )

        return message

    return build


NOT_ACCEPTED_TITLE = gettext_lazy("Referral to %(institution)s not accepted (due %(date)s)")
NOT_ACCEPTED_BODY = gettext_lazy(
    "A referral from %(school)s waits for the institution's answer. Accept or decline it, or "
    "contact the institution."
)
NO_FEEDBACK_TITLE = gettext_lazy("No feedback from %(institution)s on a referral (due %(date)s)")
NO_FEEDBACK_BODY = gettext_lazy(
    "The institution has not reported back on a referral from %(school)s. Write the feedback, or "
    "ask the institution for it."
)
RETURN_PLAN_TITLE = gettext_lazy("Return plan not written (due %(date)s)")
RETURN_PLAN_BODY = gettext_lazy(
    "A student of %(school)s has returned to school after a referral to %(institution)s: write "
    "the school's return plan."
)

RULE_SQL: dict[str, tuple[str, str, MessageBuilder]] = {
    RULE_NOT_ACCEPTED: (
        "referral_not_accepted",
        NOT_ACCEPTED_SQL,
        _builder(NOT_ACCEPTED_TITLE, NOT_ACCEPTED_BODY),
    ),
    RULE_NO_FEEDBACK: (
        "referral_no_feedback",
        NO_FEEDBACK_SQL,
        _builder(NO_FEEDBACK_TITLE, NO_FEEDBACK_BODY),
    ),
    RULE_RETURN_PLAN: (
        "referral_return_plan",
        RETURN_PLAN_SQL,
        _builder(RETURN_PLAN_TITLE, RETURN_PLAN_BODY),
    ),
}


def register() -> None:
    for name in RULES:
        kind, sql, messages = RULE_SQL[name]
        register_rule(
            name,
            kind=kind,
            object_type="referral",
            sql=sql,
            params=_params,
            messages=messages,
            namespace=NAMESPACE,
            tables=_tables,
        )
