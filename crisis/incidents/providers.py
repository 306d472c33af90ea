"""What incidents show in kernel pages: the header entry "Incidents" for roles that see incidents,
and a home panel of incidents whose emergency checklist is incomplete for school leaders, the
county center and officials. Register from ``CrisisConfig.ready()``:

    registry.register_nav(incident_providers.nav_items)
    registry.register_todo(incident_providers.home_panels)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from crisis.incidents import selectors
from crisis.incidents.selectors import OPEN_ANY
from crisis.models import Incident
from mhcare.accounts import scope
from mhcare.accounts.models import Role
from mhcare.accounts.scope import RecordKind
from mhcare.core.registry import NavItem, TodoPanel

PANEL_ROWS = 10
PANEL_ROLES = (Role.SCHOOL_LEADER, Role.COUNTY_CENTER, Role.OFFICIAL)
SEVERITY_LEVELS = {"critical": "red", "serious": "orange"}


def nav_items(actor: Any) -> list[NavItem]:
    """Decided from the actor's grants alone (no query): this runs on every page."""
    if not scope.can(actor, RecordKind.INCIDENT):
        return []
    return [NavItem(_("Incidents"), reverse("crisis:incident_list"), 35, group="crisis")]


def _row(incident: Incident) -> dict[str, Any]:
    """A panel row: kind, school and time — never a student."""
    open_count: int = getattr(incident, "open_step_count", 0)  # annotated by the selector
    return {
        "label": f"{incident.get_kind_display()} · {incident.school.name} · "
        f"{timezone.localtime(incident.occurred_at):%Y-%m-%d %H:%M}",
        "url": reverse("crisis:incident_detail", args=[incident.pk]),
        "level": SEVERITY_LEVELS.get(incident.severity, ""),
        "level_label": incident.get_severity_display()
        if incident.severity in SEVERITY_LEVELS
        else "",
        "meta": ngettext("%(n)d checklist step open", "%(n)d checklist steps open", open_count)
        % {"n": open_count},
    }


def home_panels(actor: Any) -> Iterable[TodoPanel]:
    if not scope.has_role(actor, *PANEL_ROLES):
        return []
    incidents = selectors.incident_incomplete(actor=actor, limit=PANEL_ROWS)
    rows = [_row(incident) for incident in incidents]
    return [
        TodoPanel(
            key="incidents_open",
            title=_("Incidents with an incomplete checklist"),
            rows=rows,
            url=reverse("crisis:incident_list") + f"?open_step={OPEN_ANY}",
            empty_text=_("No incident in your scope has an open checklist step."),
            order=5,
        )
    ]
