"""The header entry "Activities" for the roles that read MH education and family-education
activities (decided from the grants: no query)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from mhcare.accounts import policy
from mhcare.core.registry import NavItem


def nav_items(actor: Any) -> list[NavItem]:
    if not policy.anywhere(actor, policy.Action.VIEW_ACTIVITIES):
        return []
    return [NavItem(_("Activities"), reverse("activities:list"), 61, group="provision")]
