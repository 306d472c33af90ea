"""How staffing shows on kernel pages (the header menu)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from mhcare.accounts import policy
from mhcare.core.registry import NavItem
from mhcare.orgs.models import OrgKind


def nav_items(actor: Any) -> list[NavItem]:
    """Decided from the actor's grants alone (no query after the first): runs on every page."""
    found = policy.granting(actor, policy.Action.VIEW_STAFFING)
    if not found:
        return []
    top = min(found, key=lambda g: len(g.unit_path))
    if top.unit_kind == OrgKind.SCHOOL:  # a school's own people go straight to its page
        code = top.unit_path.rstrip("/").rsplit("/", 1)[-1]
        return [
            NavItem(
                _("Staffing"), reverse("staffing:provision", args=[code]), 70, group="provision"
            )
        ]
    return [NavItem(_("Staffing"), reverse("staffing:county"), 70, group="provision")]
