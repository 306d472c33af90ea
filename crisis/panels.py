"""Home-page panels of the crisis app, registered from ``CrisisConfig.ready()``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.urls import reverse
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

from crisis import selectors
from mhcare.accounts import scope
from mhcare.accounts.models import Role
from mhcare.core.registry import TodoPanel
from screening.models import ProposalStatus, RiskProposal

PANEL_ROWS = 10


def _rows(proposals: Iterable[RiskProposal]) -> list[dict[str, Any]]:
    return [
        {
            "label": f"{p.student.name} · {p.school.name} · {p.student.klass.name}",
            "url": reverse("orgs:student_detail", args=[p.student_id]),
            "level": p.colour,
            "level_label": p.get_level_display(),
            "meta": "; ".join(p.reason_labels) + " · " + timesince(p.created_at),
        }
        for p in proposals
    ]


def home_panels(actor: Any) -> Iterable[TodoPanel]:
    panels: list[TodoPanel] = []
    url = reverse("crisis:highrisk_list")
    if scope.has_role(actor, Role.PSYCH_TEACHER):
        pending = selectors.highrisk_list(
            actor=actor,
            filters=selectors.HighRiskFilters(status=ProposalStatus.PENDING),
            page_size=PANEL_ROWS,
        )
        panels.append(
            TodoPanel(
                key="students_to_review",
                title=_("Students to review"),
                rows=_rows(pending.rows),
                url=url,
                empty_text=_("No proposed risk level waits for your evaluation."),
                order=10,
            )
        )
        panels.append(
            TodoPanel(
                key="followups_due",
                title=_("Follow-ups due"),
                empty_text=_("Follow-ups arrive with the crisis registry."),
                order=20,
            )
        )
    if scope.has_role(actor, Role.COUNTY_CENTER, Role.SCHOOL_LEADER):
        page = selectors.highrisk_list(actor=actor, page_size=PANEL_ROWS)
        county = scope.has_role(actor, Role.COUNTY_CENTER)
        panels.append(
            TodoPanel(
                key="county_highrisk" if county else "school_highrisk",
                title=_("County high-risk list") if county else _("School high-risk list"),
                rows=_rows(page.rows),
                url=url,
                empty_text=_("No student in your scope has a proposed or confirmed risk level."),
                order=10,
            )
        )
    return panels
