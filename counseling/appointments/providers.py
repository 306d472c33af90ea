"""What appointments show in kernel pages: the header entry "Appointments" and, for a counselor,
the home panel of today's appointments."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from counseling.appointments import selectors
from mhcare.accounts import policy
from mhcare.accounts.policy import Action
from mhcare.core.registry import NavItem, TodoPanel


def nav_items(actor: Any) -> list[NavItem]:
    if not (
        policy.anywhere(actor, Action.BOOK_APPOINTMENT) or policy.anywhere(actor, Action.COUNSEL)
    ):
        return []
    return [
        NavItem(_("Appointments"), reverse("counseling:appointment_list"), 51, group="counseling")
    ]


def home_panels(actor: Any) -> Iterable[TodoPanel]:
    if not policy.anywhere(actor, Action.COUNSEL):
        return []
    today = timezone.localdate()
    rows = [
        {
            "label": f"{timezone.localtime(a.starts_at):%H:%M} · {a.student.name} · {a.room.name}",
            "url": reverse("counseling:appointment_detail", args=[a.pk]),
            "meta": a.get_status_display(),
        }
        for a in selectors.counselor_day(actor=actor, day=today)
    ]
    return [
        TodoPanel(
            key="counseling_today",
            title=_("My counseling appointments today"),
            rows=rows,
            url=reverse("counseling:appointment_list") + f"?day={today.isoformat()}&mine=1",
            empty_text=_("No counseling appointment today."),
            order=15,
        )
    ]
