"""The auditor's header entry (registered from ``AuditConfig.ready()``)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from mhcare.accounts import policy
from mhcare.core.registry import NavItem


def nav_items(actor: Any) -> list[NavItem]:
    if not policy.anywhere(actor, policy.Action.READ_AUDIT_LOG):
        return []
    return [NavItem(_("Audit log"), reverse("audit:log"), 90, group="system")]
