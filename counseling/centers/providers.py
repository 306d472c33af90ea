"""What county-center standardization shows in kernel pages: the menu entry for county centers and
officials, and a home panel with the checklist progress (center) or the indicator (official)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from counseling.centers import selectors
from mhcare.accounts import policy, scope
from mhcare.accounts.models import Role
from mhcare.core.registry import NavItem, TodoPanel


def nav_items(actor: Any) -> list[NavItem]:
    if not policy.anywhere(actor, policy.Action.VIEW_CENTER_CHECKLISTS):
        return []
    return [
        NavItem(
            _("Center standardization"), reverse("counseling:center_list"), 70, group="counseling"
        )
    ]


def home_panels(actor: Any) -> Iterable[TodoPanel]:
    if not scope.has_role(actor, Role.COUNTY_CENTER, Role.OFFICIAL) or not policy.anywhere(
        actor, policy.Action.VIEW_CENTER_CHECKLISTS
    ):
        return []
    today = timezone.localdate()
    required = selectors.required_count()
    rows = []
    if policy.anywhere(actor, policy.Action.FILL_CENTER_CHECKLIST):
        for county in selectors.checklist_counties(actor=actor, on_date=today)[:5]:
            rows.append(
                {
                    "label": county.name,
                    "url": reverse("counseling:center_checklist", args=[county.pk]),
                    "meta": (
                        _("standardized")
                        if getattr(county, "standard", None)
                        else _("not standardized")
                    )
                    + " · "
                    + _("%(met)d / %(required)d required items met")
                    % {"met": getattr(county, "met_count", None) or 0, "required": required},
                }
            )
    else:
        for unit in scope.top_units(actor):
            value = selectors.center_standardized(unit, today)
            rows.append(
                {
                    "label": unit.name,
                    "url": reverse("counseling:center_list"),
                    "meta": _("%(s)d of %(t)d counties standardized")
                    % {"s": value.standardized, "t": value.total},
                }
            )
    return [
        TodoPanel(
            key="center_standardization",
            title=_("County-center standardization"),
            rows=rows,
            url=reverse("counseling:center_list"),
            order=60,
        )
    ]
