"""The header entry "MH lessons" for everyone who reads the lesson log (decided from the grants:
no query, it runs on every page)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from mhcare.accounts import policy
from mhcare.core.registry import NavItem


def nav_items(actor: Any) -> list[NavItem]:
    if not policy.anywhere(actor, policy.Action.VIEW_LESSONS):
        return []
    return [NavItem(_("MH lessons"), reverse("lessons:index"), 60, group="provision")]
