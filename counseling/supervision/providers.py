"""What supervision shows in kernel pages: the "Supervision" menu entry for supervisors, the
"Supervision stations" entry for county centers and officials, the supervisor's home panels (their
sessions and supervisees) and, for a supervisee, the sessions they attended."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from counseling.supervision import selectors
from mhcare.accounts import policy
from mhcare.core.registry import NavItem, TodoPanel

PANEL_ROWS = 10


def nav_items(actor: Any) -> list[NavItem]:
    """From the actor's grants alone (no query)."""
    items = []
    if policy.anywhere(actor, policy.Action.WRITE_SUPERVISION):
        items.append(
            NavItem(
                _("Supervision"), reverse("counseling:supervision_home"), 60, group="counseling"
            )
        )
    elif policy.anywhere(actor, policy.Action.VIEW_SUPERVISION_STATIONS):
        items.append(
            NavItem(
                _("Supervision stations"),
                reverse("counseling:supervision_stations"),
                61,
                group="counseling",
            )
        )
    return items


def _session_row(session: Any) -> dict[str, Any]:
    count = getattr(session, "supervisee_count", 0)
    return {
        "label": f"{session.held_on:%Y-%m-%d} · {session.get_format_display()} · "
        f"{session.station.name if session.station else session.county.name}",
        "url": reverse("counseling:supervision_session", args=[session.pk]),
        "meta": ngettext("%(n)d supervisee", "%(n)d supervisees", count) % {"n": count},
    }


def home_panels(actor: Any) -> Iterable[TodoPanel]:
    panels = []
    home = reverse("counseling:supervision_home")
    if policy.anywhere(actor, policy.Action.WRITE_SUPERVISION):
        panels.append(
            TodoPanel(
                key="supervision_sessions",
                title=_("My supervision sessions"),
                rows=[
                    _session_row(s) for s in selectors.sessions_led(actor=actor, limit=PANEL_ROWS)
                ],
                url=home,
                empty_text=_("No supervision session recorded yet."),
                order=10,
            )
        )
        panels.append(
            TodoPanel(
                key="supervision_supervisees",
                title=_("My supervisees"),
                rows=[
                    {
                        "label": str(row.user),
                        "meta": ngettext(
                            "%(n)d session, last %(date)s",
                            "%(n)d sessions, last %(date)s",
                            row.sessions,
                        )
                        % {"n": row.sessions, "date": f"{row.last_on:%Y-%m-%d}"},
                    }
                    for row in selectors.my_supervisees(actor=actor, limit=PANEL_ROWS)
                ],
                url=home,
                empty_text=_("No supervisee yet."),
                order=11,
            )
        )
    attended = selectors.sessions_attended(actor=actor, limit=5)
    if attended:
        panels.append(
            TodoPanel(
                key="supervision_received",
                title=_("Supervision I received"),
                rows=[_session_row(s) for s in attended],
                url=home,
                order=90,
            )
        )
    return panels
