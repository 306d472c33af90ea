"""Counseling reminder rules, registered with the kernel's reminder engine from
``CounselingConfig.ready()`` (each one set-based statement into the once-per-reminder ledger):

- ``counseling_tomorrow`` (object: appointment, due: its local date) — an appointment requested
  or confirmed for tomorrow → its counselor, stage 0.
- ``counseling_unconfirmed`` (object: appointment, due: its local date) — still "requested"
  ``COUNSELING_UNCONFIRMED_HOURS`` after it was made, and not yet begun → its counselor, stage 1
  (urgent: the student is waiting for an answer).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from counseling.models import Appointment
from mhcare.core.reminders.services import LEDGER_INSERT, Due, Message, register_rule

NAMESPACE = "counseling"
RULE_TOMORROW = "counseling_tomorrow"
RULE_UNCONFIRMED = "counseling_unconfirmed"


def _tables() -> dict[str, str]:
    return {"appointment": Appointment._meta.db_table}


TOMORROW_SQL = (
    """WITH"""  # noqa: S608 - only table names are formatted in; every value is a bound parameter
    + """ due AS (
    SELECT a.id AS object_id, (a.starts_at AT TIME ZONE %(tz)s)::date AS due_on,
           a.counselor_id AS recipient_id, 0 AS stage
    FROM {appointment} a
    WHERE a.status IN ('requested', 'confirmed')
      AND (a.starts_at AT TIME ZONE %(tz)s)::date = %(tomorrow)s
)"""
    + LEDGER_INSERT
)

UNCONFIRMED_SQL = (
    """WITH"""  # noqa: S608 - only table names are formatted in; every value is a bound parameter
    + """ due AS (
    SELECT a.id AS object_id, (a.starts_at AT TIME ZONE %(tz)s)::date AS due_on,
           a.counselor_id AS recipient_id, 1 AS stage
    FROM {appointment} a
    WHERE a.status = 'requested' AND a.created_at < %(made_before)s AND a.starts_at > %(now)s
)"""
    + LEDGER_INSERT
)


def _params(today: datetime.date, now: datetime.datetime) -> dict[str, Any]:
    return {
        "tomorrow": today + datetime.timedelta(days=1),
        "made_before": now - datetime.timedelta(hours=settings.COUNSELING_UNCONFIRMED_HOURS),
    }


def _messages(dues: Sequence[Due], today: datetime.date) -> Callable[[Due], Message]:
    appointments = (
        Appointment.objects.select_related("room")  # scope-lint: allow the recipient's own
        .only("id", "starts_at", "room__name")
        .in_bulk([d.object_id for d in dues])
    )

    def message(due: Due) -> Message:
        appointment = appointments[due.object_id]
        time = f"{timezone.localtime(appointment.starts_at):%Y-%m-%d %H:%M}"
        url = reverse("counseling:appointment_detail", args=[appointment.pk])
        if due.kind == RULE_UNCONFIRMED:
            return Message(
                _("Counseling appointment on %(time)s waits for your confirmation")
                % {"time": time},
                _("Confirm or cancel it so that the student and the teacher know."),
                url,
            )
        return Message(
            _("Counseling appointment tomorrow at %(time)s") % {"time": time},
            _("Room: %(room)s") % {"room": appointment.room.name},
            url,
        )

    return message


def register() -> None:
    register_rule(
        RULE_TOMORROW,
        kind=RULE_TOMORROW,
        object_type="appointment",
        sql=TOMORROW_SQL,
        params=_params,
        messages=_messages,
        namespace=NAMESPACE,
        tables=_tables,
    )
    register_rule(
        RULE_UNCONFIRMED,
        kind=RULE_UNCONFIRMED,
        object_type="appointment",
        sql=UNCONFIRMED_SQL,
        params=_params,
        messages=_messages,
        namespace=NAMESPACE,
        tables=_tables,
    )
