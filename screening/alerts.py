"""Immediate alerts for critical screening results (PHQ item 9 > 0, ASQ positive, a band the
province marks): the school's psychology teachers and school leaders (the crisis-group leader)
get an inbox notification and an e-mail, once per result and recipient.

The title and body (what is e-mailed) name no student and no score: an e-mail leaves the platform.
The in-app ``detail`` names the student, the class and the instrument, so that ten alerts are not
ten identical lines: "张三（八年级(1)班）PHQ-9 第 9 题（自伤或轻生念头）阳性" for the roles that
see item answers (psychology teacher); a school leader, who sees score summaries only, gets the
instrument and band, never the item. E-mail links are absolute on ``SITE_URL``."""

from __future__ import annotations

import logging
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
from mhcare.accounts.scope import ROLE_KINDS, RecordKind
from mhcare.notifications.services import Outgoing, notification_send_many
from screening.models import CriticalAlertPending, Instrument, ScreeningResult
from screening.scoring import _critical_codes, critical_label

logger = logging.getLogger(__name__)

ALERT_KIND = "screening_critical"
ALERT_ROLES = (Role.PSYCH_TEACHER, Role.SCHOOL_LEADER)
ALERT_TITLE = gettext_noop("A critical screening result needs your review")
ALERT_BODY = gettext_noop(
    "A screening result at your school is critical and needs your review today. "
    "Open the student's page to see it."
)


ALERT_DETAIL = gettext_noop("%(student)s (%(klass)s) %(instrument)s: %(what)s")
ALERT_DETAIL_SUMMARY = gettext_noop("critical result (%(band)s)")
# Roles that see item answers get the item; the others (school leader) the summary.
ITEM_ROLES = frozenset(r for r in ALERT_ROLES if RecordKind.SCORE in ROLE_KINDS.get(r, frozenset()))


def alert_key(result_id: int) -> str:
    return f"screening-critical:{result_id}"


def critical_item_labels(result: ScreeningResult, language: str | None = None) -> list[str]:
    """What made the result critical, in words ("第 9 题（自伤或轻生念头）阳性"): item level, for
    the roles that see item answers only."""
    definition = result.instrument.definition
    by_number: dict[int, int | None] = {}
    for item, answer in zip(definition.get("items", []), result.answers or [], strict=False):
        by_number[int(item["number"])] = answer
    codes = _critical_codes(
        definition,
        band=result.band,
        total=result.total,
        by_number=by_number,
        scores=result.scores or {},
        instrument_code=result.instrument.code,
    )
    return [critical_label(definition, code, language) for code in codes]


def alert_detail(result: ScreeningResult, *, language: str, with_items: bool) -> str:
    """The in-app line of one alert (never e-mailed)."""
    with translation.override(language):
        what = ""
        if with_items:
            what = "；".join(critical_item_labels(result, language))
        if not what:
            what = _(ALERT_DETAIL_SUMMARY) % {"band": result.band_label or "-"}
        return _(ALERT_DETAIL) % {
            "student": result.student.name,
            "klass": result.student.klass.name,
            "instrument": result.instrument.code,
            "what": what,
        }


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
        .select_related("student__klass")
        .only(
            "id",
            "school_id",
            "student_id",
            "instrument_id",
            "answers",
            "scores",
            "total",
            "band",
            "student__name",
            "student__klass__name",
        )
    )
    if not results:
        return 0
    # Few instruments, possibly thousands of results: each definition is read once.
    instruments = Instrument.objects.in_bulk({result.instrument_id for result in results})
    for result in results:
        result.instrument = instruments[result.instrument_id]
    school_ids = {result.school_id for result in results}
    recipients: dict[int, list] = defaultdict(list)
    sees_items: set[tuple[int, int]] = set()  # (school, user) with a role that sees items
    seen: set[tuple[int, int]] = set()
    for assignment in (
        RoleAssignment.objects.active()
        .filter(org_unit_id__in=school_ids, role__in=ALERT_ROLES, user__is_active=True)
        .select_related("user")
        .order_by("user_id")
    ):
        key = (assignment.org_unit_id, assignment.user_id)
        if assignment.role in ITEM_ROLES:
            sees_items.add(key)
        if key not in seen:
            seen.add(key)
            recipients[assignment.org_unit_id].append(assignment.user)
    texts: dict[str, tuple[str, str]] = {}  # language → (title, body), translated once each

    def language_of(user: Any) -> str:
        return getattr(user, "language", None) or settings.LANGUAGE_CODE

    def text_for(language: str) -> tuple[str, str]:
        if language not in texts:
            with translation.override(language):
                texts[language] = (_(ALERT_TITLE), _(ALERT_BODY))
        return texts[language]

    outgoing: list[Outgoing] = []
    for result in results:
        users = recipients.get(result.school_id)
        if not users:
            continue
        # Stored as the in-app path; the e-mail makes it absolute on SITE_URL.
        url = reverse("orgs:student_detail", args=[result.student_id])
        details: dict[tuple[str, bool], str] = {}
        for user in users:
            language = language_of(user)
            with_items = (result.school_id, user.pk) in sees_items
            if (language, with_items) not in details:
                details[(language, with_items)] = alert_detail(
                    result, language=language, with_items=with_items
                )
            title, body = text_for(language)
            outgoing.append(
                Outgoing(
                    recipient=user,
                    kind=ALERT_KIND,
                    key=alert_key(result.pk),
                    title=title,
                    body=body,
                    url=url,
                    urgent=True,
                    detail=details[(language, with_items)],
                )
            )
    # One statement for all (an import can alert thousands); existing ones are left alone.
    return notification_send_many(outgoing)


# The outbox is sent this many results per transaction (a 1 M-row import has ≈ 30 000).
ALERT_BATCH = 2000


def alert_later(result_ids: Iterable[int]) -> None:
    """Alert the schools of ``result_ids`` (critical results stored in the current transaction):
    their rows of the outbox (``CriticalAlertPending``) now, in this transaction; the sending on
    the alerts queue after COMMIT (``alert_enqueue``)."""
    CriticalAlertPending.objects.bulk_create(
        [CriticalAlertPending(result_id=pk) for pk in sorted({int(pk) for pk in result_ids})],
        ignore_conflicts=True,
    )
    transaction.on_commit(alert_enqueue, robust=True)


def alert_enqueue() -> None:
    """Queue the sending of the outbox (after the COMMIT that wrote its rows). A task that cannot
    be queued (the broker down) is logged, not raised: its rows stay, and the every-minute sweep
    sends them."""
    from screening.tasks import alert_pending_task

    try:
        alert_pending_task.delay()
    except Exception:
        logger.exception("Critical alerts could not be queued now; the sweep will send them")


def alert_pending() -> int:
    """Send the alerts of every row of the outbox, ``ALERT_BATCH`` results per transaction: a
    batch's notifications are added and its rows deleted together, or neither (a failure leaves
    them for the next run). Rows another worker is sending are skipped (``SKIP LOCKED``): two
    runs at once send each alert once. Returns how many notifications were added."""
    added = 0
    while True:
        with transaction.atomic():
            ids = list(
                CriticalAlertPending.objects.select_for_update(skip_locked=True)
                .order_by("result_id")
                .values_list("result_id", flat=True)[:ALERT_BATCH]
            )
            if not ids:
                return added
            added += alert_critical_results(ids)
            CriticalAlertPending.objects.filter(result_id__in=ids).delete()
