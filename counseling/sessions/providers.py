"""The header entry "Session records" for counselors, "Counseling log" for leaders and the county
center; the label of the risk-proposal reason a session sends to the crisis registry."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from counseling.sessions import selectors
from mhcare.accounts import policy
from mhcare.accounts.policy import Action
from mhcare.core.registry import NavItem, TimelineEvent

TIMELINE_ROWS = 200


def nav_items(actor: Any) -> list[NavItem]:
    items = []
    if policy.anywhere(actor, Action.COUNSEL):
        items.append(
            NavItem(
                _("Session records"), reverse("counseling:session_list"), 52, group="counseling"
            )
        )
    if policy.anywhere(actor, Action.VIEW_SESSION_LOG):
        items.append(
            NavItem(_("Counseling log"), reverse("counseling:session_log"), 53, group="counseling")
        )
    return items


def register_reason_labels() -> None:
    """``screening.risk.reason_label`` names the reason of a proposal made from a session."""
    from counseling.sessions.services import REASON_LABELS
    from screening import risk

    labels = getattr(risk, "REASON_LABELS", None)
    if isinstance(labels, dict):
        for code, label in REASON_LABELS.items():
            labels.setdefault(code, label)


def timeline(actor: Any, student: Any) -> Iterable[TimelineEvent]:
    """On the growth file: the sessions the actor may read (a link to the record, never its
    content), and for the leader and the county center that a session happened."""
    events: dict[int, TimelineEvent] = {}
    noon = datetime.time(12, 0)
    if policy.anywhere(actor, Action.VIEW_SESSION_LOG):
        for row in selectors.session_log(actor=actor).filter(student_id=student.pk)[:TIMELINE_ROWS]:
            events[row.pk] = TimelineEvent(
                at=timezone.make_aware(datetime.datetime.combine(row.held_on, noon)),
                kind="counseling",
                title=_("Counseling session (%(minutes)s min)") % {"minutes": row.duration_minutes},
            )
    if policy.anywhere(actor, Action.COUNSEL) or policy.anywhere(actor, Action.VIEW_SESSION_LOG):
        for session in selectors.session_list(actor=actor, student_id=student.pk)[:TIMELINE_ROWS]:
            events[session.pk] = TimelineEvent(
                at=timezone.make_aware(datetime.datetime.combine(session.held_on, noon)),
                kind="counseling",
                title=_("Counseling session (%(minutes)s min)")
                % {"minutes": session.duration_minutes},
                detail=session.counselor.display_name,
                url=reverse("counseling:session_detail", args=[session.pk]),
                level={"1": "red", "2": "orange", "3": "yellow"}.get(session.risk_observed, ""),
            )
    return list(events.values())
