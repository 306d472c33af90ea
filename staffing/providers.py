"""How staffing shows on kernel pages (the header menu)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from mhcare.accounts import policy
from mhcare.core.registry import NavItem


def nav_items(actor: Any) -> list[NavItem]:
    """Decided from the actor's grants alone (no query after the first): runs on every page."""
    if not policy.anywhere(actor, policy.Action.VIEW_STAFFING):
        return []
    return [NavItem(_("Staffing"), reverse("staffing:county"), 70)]
