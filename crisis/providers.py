"""What the crisis registry shows in kernel pages, registered from ``CrisisConfig.ready()``: the
student page's "Evaluate" / "Case" actions, the growth-file timeline (case history and
follow-ups for case roles; only "has an open case" for class roles), and the "Reviews" menu entry.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from crisis import selectors, services
from crisis.models import Case, CaseEvent, CaseEventKind, CaseStatus, FollowUp
from mhcare.accounts import policy, scope
from mhcare.accounts.scope import RecordKind
from mhcare.core.fields import choice_labels
from mhcare.core.registry import NavItem, StudentAction, TimelineEvent


def student_actions(actor: Any, student: Any) -> Iterable[StudentAction]:
    if not services.may_write_cases(actor, student):
        return []
    actions = [
        StudentAction(
            _("Comprehensive evaluation"), reverse("crisis:evaluate", args=[student.pk]), 5
        )
    ]
    case = (
        scope.scoped(actor, Case, kind=RecordKind.CASE)
        .filter(student=student)
        .exclude(status=CaseStatus.CLOSED)
        .first()
    )
    if case is not None:
        actions.append(
            StudentAction(_("Open case"), reverse("crisis:case_detail", args=[case.pk]), 6)
        )
    return actions


def timeline(actor: Any, student: Any) -> Iterable[TimelineEvent]:
    events: list[TimelineEvent] = []
    if policy.reads(actor, RecordKind.CASE, student):
        links: dict[int, str] = {}

        def case_url(case_id: int) -> str:
            if case_id not in links:
                links[case_id] = reverse("crisis:case_detail", args=[case_id])
            return links[case_id]

        kinds = choice_labels(CaseEvent, "kind")
        levels = choice_labels(CaseEvent, "to_level")
        statuses = choice_labels(CaseEvent, "to_status")
        ways = choice_labels(FollowUp, "way")

        # Only the columns the timeline shows: every encrypted column loaded is decrypted (a
        # case's reasons once per event, a follow-up's notes), and a student with years of
        # history has hundreds of events (bench/growth_file.py, 20× history: 341 → 213–234 ms).
        for event in (
            scope.scoped(actor, CaseEvent, kind=RecordKind.CASE)
            .filter(case__student=student)
            .select_related("case")
            .only("at", "kind", "to_level", "to_status", "reason", "case_id", "case__level")
            .order_by("at")
        ):
            change = kinds.get(event.kind, event.kind)
            if event.kind in (CaseEventKind.OPENED, CaseEventKind.LEVEL):
                title = _("Case: %(change)s — %(level)s") % {
                    "change": change,
                    "level": levels.get(event.to_level, event.to_level),
                }
            elif event.to_status:
                title = _("Case: %(change)s — %(status)s") % {
                    "change": change,
                    "status": statuses.get(event.to_status, event.to_status),
                }
            else:
                title = _("Case: %(change)s") % {"change": change}
            events.append(
                TimelineEvent(
                    at=event.at,
                    kind="case",
                    title=title,
                    detail=event.reason,
                    url=case_url(event.case_id),
                    level=event.case.colour,
                )
            )
        for follow_up in (
            scope.scoped(actor, FollowUp, kind=RecordKind.CASE)
            .filter(student=student)
            .only("created_at", "way", "done_on", "case_id")
            .order_by("done_on")
        ):
            events.append(
                TimelineEvent(
                    at=follow_up.created_at,
                    kind="follow_up",
                    title=_("Follow-up (%(way)s) on %(date)s")
                    % {
                        "way": ways.get(follow_up.way, follow_up.way),
                        "date": follow_up.done_on.isoformat(),
                    },
                    url=case_url(follow_up.case_id),
                )
            )
    elif policy.reads(actor, RecordKind.FLAG, student):
        case = selectors.active_case_flag(actor=actor, student=student)
        if case is not None:
            events.append(
                TimelineEvent(
                    at=case.created_at,
                    kind="flag",
                    title=_("The psychology teacher follows this student (open case)"),
                )
            )
    return events


def nav_items(actor: Any) -> list[NavItem]:
    """From the actor's grants alone (no query): the header asks on every page."""
    if policy.anywhere(actor, policy.Action.RECORD_REVIEW) or policy.anywhere(
        actor, policy.Action.WRITE_CASE
    ):
        return [NavItem(_("Reviews (研判)"), reverse("crisis:review_list"), 60, group="crisis")]
    return []
