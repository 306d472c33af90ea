"""Immediate alerts for critical screening results (PHQ item 9 > 0, ASQ positive, a band the
province marks): the school's psychology teachers and school leaders (the crisis-group leader)
get an inbox notification and an e-mail, once per result and recipient.

The message names no student and no score (e-mail leaves the platform): it says that a critical
result needs review and links to the student's page, where scope and audit apply."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from mhcare.accounts.models import Role, RoleAssignment
from mhcare.notifications.services import Outgoing, notification_send_many
from screening.models import ScreeningResult

ALERT_KIND = "screening_critical"
ALERT_ROLES = (Role.PSYCH_TEACHER, Role.SCHOOL_LEADER)
ALERT_TITLE = gettext_noop("A critical screening result needs your review")
ALERT_BODY = gettext_noop(
    "A screening result at your school is critical and needs your review today. "
    "Open the student's page to see it."
)


def alert_key(result_id: int) -> str:
    return f"screening-critical:{result_id}"


@transaction.atomic
def alert_critical_results(result_ids: Iterable[int]) -> int:
    """Alert the schools of the given results that are critical; idempotent (one notification
    per result and recipient, the e-mail sent once). Returns how many notifications it added."""
    ids = sorted({int(pk) for pk in result_ids})
    if not ids:
        return 0
    results = list(
        ScreeningResult.objects.filter(pk__in=ids, is_critical=True)
        .order_by("id")
        .values_list("id", "school_id", "student_id")
    )
    if not results:
        return 0
    school_ids = {school_id for _, school_id, _ in results}
    recipients: dict[int, list] = defaultdict(list)
    seen: set[tuple[int, int]] = set()
    for assignment in (
        RoleAssignment.objects.active()
        .filter(org_unit_id__in=school_ids, role__in=ALERT_ROLES, user__is_active=True)
        .select_related("user")
        .order_by("user_id")
    ):
        if (assignment.org_unit_id, assignment.user_id) not in seen:
            seen.add((assignment.org_unit_id, assignment.user_id))
            recipients[assignment.org_unit_id].append(assignment.user)
    texts: dict[str, tuple[str, str]] = {}  # language → (title, body), translated once each

    def text_for(user: Any) -> tuple[str, str]:
        language = getattr(user, "language", None) or settings.LANGUAGE_CODE
        if language not in texts:
            with translation.override(language):
                texts[language] = (_(ALERT_TITLE), _(ALERT_BODY))
        return texts[language]

    outgoing: list[Outgoing] = []
    for result_id, school_id, student_id in results:
        users = recipients.get(school_id)
        if not users:
            continue
        url = reverse("orgs:student_detail", args=[student_id])
        for user in users:
            title, body = text_for(user)
            outgoing.append(
                Outgoing(
                    recipient=user,
                    kind=ALERT_KIND,
                    key=alert_key(result_id),
                    title=title,
                    body=body,
                    url=url,
                    urgent=True,
                )
            )
    # One statement for all (an import can alert thousands); existing ones are left alone.
    return notification_send_many(outgoing)
