"""The header entry "Counseling rooms" (rooms and the duty week) for those who may see rooms."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from mhcare.accounts import policy
from mhcare.accounts.policy import Action
from mhcare.core.registry import NavItem


def nav_items(actor: Any) -> list[NavItem]:
    """From the actor's grants alone (no query after the first): this runs on every page."""
    if not policy.anywhere(actor, Action.VIEW_ROOMS):
        return []
    return [NavItem(_("Duty roster"), reverse("counseling:duty_week"), 50, group="counseling")]
