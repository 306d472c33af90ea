"""The official's home panel "Indicators", registered from ``ComplianceConfig.ready()``: every
indicator of each of their own units against its target, from the snapshots of the default
period (the current school year), with a chart of the sub-units' screening coverage and a link to
the dashboard to drill down."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from compliance import selectors
from compliance.periods import default_period
from mhcare.accounts import policy
from mhcare.core.registry import NavItem, TodoPanel


def _meta(row: selectors.IndicatorRow) -> str:
    if row.value is None:
        return row.status_label
    return f"{row.value}% ({row.numerator}/{row.denominator}) · {row.status_label}"


def indicator_panels(actor: Any) -> Iterable[TodoPanel]:
    if not policy.anywhere(actor, policy.Action.VIEW_INDICATORS):
        return []
    try:
        period = default_period()
    except ValueError:
        return []
    panels = []
    for unit in selectors.indicator_top_units(actor=actor):
        rows = selectors.unit_indicators(actor=actor, unit=unit, period=period)
        table = selectors.sub_unit_indicators(actor=actor, unit=unit, period=period)
        as_of = max((r.as_of for r in rows if r.as_of), default=None)
        panels.append(
            TodoPanel(
                key=f"indicators-{unit.code}",
                title=_("Indicators · %(unit)s · %(period)s")
                % {"unit": unit.name, "period": period.label},
                rows=[
                    {"label": str(r.indicator.name), "meta": _meta(r), "colour": r.colour}
                    for r in rows
                ]
                + [
                    {
                        "label": r.unit.name,
                        "rate": r.value,
                        "is_sub_unit": True,
                    }
                    for r in table.column("screening_coverage")
                ],
                url=reverse("compliance:unit", args=[unit.code]) + f"?period={period.code}",
                empty_text=(
                    _("As of %(when)s.") % {"when": as_of.strftime("%Y-%m-%d %H:%M")}
                    if as_of
                    else _("Not computed yet: the figures are refreshed every night.")
                ),
                template="compliance/_indicator_panel.html",
                order=5,
            )
        )
    return panels


def nav_items(actor: Any) -> list[NavItem]:
    items = []
    if policy.anywhere(actor, policy.Action.VIEW_INDICATORS):
        items.append(
            NavItem(_("Indicators"), reverse("compliance:indicators"), 20, group="oversight")
        )
        items.append(NavItem(_("Trends"), reverse("compliance:trends"), 21, group="oversight"))
    if policy.anywhere(actor, policy.Action.MANAGE_INSPECTIONS):
        items.append(
            NavItem(_("Inspections"), reverse("compliance:inspections"), 22, group="oversight")
        )
    if policy.anywhere(actor, policy.Action.MANAGE_INSPECTIONS) or policy.anywhere(
        actor, policy.Action.REPLY_RECTIFICATION
    ):
        items.append(
            NavItem(
                _("Rectifications"), reverse("compliance:rectifications"), 23, group="oversight"
            )
        )
    return items
