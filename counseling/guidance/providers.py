"""What guidance shows in kernel pages: the "Guidance" menu entry, the student page's link, the
growth-file timeline (that guidance happened for every guidance viewer; what was said only for
the author and note readers), and home panels (students without recent guidance; students in my
care)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from counseling.guidance import selectors
from mhcare.accounts import policy
from mhcare.core.registry import NavItem, StudentAction, TimelineEvent, TodoPanel

PANEL_ROWS = 10
QUIET_DAYS = 30


def nav_items(actor: Any) -> list[NavItem]:
    """From the actor's grants alone (no query)."""
    if not policy.anywhere(actor, policy.Action.VIEW_GUIDANCE):
        return []
    return [NavItem(_("Guidance"), reverse("counseling:guidance_watch_list"), 45, group="students")]


def student_actions(actor: Any, student: Any) -> Iterable[StudentAction]:
    if not selectors.may_view_student(actor, student):
        return []
    return [
        StudentAction(
            _("Individual guidance"), reverse("counseling:guidance_student", args=[student.pk]), 30
        )
    ]


def _noon(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(12, 0)))


def timeline(actor: Any, student: Any) -> Iterable[TimelineEvent]:
    if not selectors.may_view_student(actor, student):
        return []
    url = reverse("counseling:guidance_student", args=[student.pk])
    events = [
        TimelineEvent(
            at=_noon(row.occurred_on),
            kind="guidance",
            title=_("%(kind)s by %(by)s") % {"kind": row.kind_label, "by": row.author},
            detail=row.summary[:200] if row.shows_text else "",
            url=url,
        )
        for row in selectors.student_records(actor=actor, student=student)[:200]
    ]
    events += [
        TimelineEvent(
            at=change.changed_at,
            kind="guidance_flags",
            title=_("处境不利 flags: %(old)s → %(new)s")
            % {
                "old": "、".join(change.old_labels) or "—",
                "new": "、".join(change.new_labels) or "—",
            },
            detail=change.reason[:200],
            url=url,
        )
        for change in selectors.student_flag_changes(actor=actor, student=student)[:50]
    ]
    return events


def _student_row(student: Any) -> dict[str, Any]:
    last = getattr(student, "last_guidance", None)
    return {
        "label": f"{student.name} · {student.klass.name}",
        "url": reverse("counseling:guidance_student", args=[student.pk]),
        "meta": _("last guidance %(date)s") % {"date": f"{last:%Y-%m-%d}"}
        if last
        else _("no guidance yet"),
    }


def home_panels(actor: Any) -> Iterable[TodoPanel]:
    panels = []
    if policy.anywhere(actor, policy.Action.WRITE_GUIDANCE):
        page = selectors.watch_list(
            actor=actor,
            filters=selectors.WatchFilters(quiet_days=QUIET_DAYS),
            page_size=PANEL_ROWS,
        )
        panels.append(
            TodoPanel(
                key="guidance_quiet",
                title=_("Disadvantaged students without guidance in %(days)d days")
                % {"days": QUIET_DAYS},
                rows=[_student_row(s) for s in page.rows],
                url=reverse("counseling:guidance_watch_list") + f"?quiet_days={QUIET_DAYS}",
                empty_text=_("Every disadvantaged student received guidance recently."),
                order=40,
            )
        )
    mine = selectors.my_students(actor=actor, limit=PANEL_ROWS)
    if mine:
        panels.append(
            TodoPanel(
                key="guidance_mine",
                title=_("Students in my care (individual guidance)"),
                rows=[_student_row(s) for s in mine],
                order=41,
            )
        )
    return panels
