"""The header entry "Session records" for counselors, "Counseling log" for leaders and the county
center; the label of the risk-proposal reason a session sends to the crisis registry."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from mhcare.accounts import policy
from mhcare.accounts.policy import Action
from mhcare.core.registry import NavItem


def nav_items(actor: Any) -> list[NavItem]:
    items = []
    if policy.anywhere(actor, Action.COUNSEL):
        items.append(NavItem(_("Session records"), reverse("counseling:session_list"), 52))
    if policy.anywhere(actor, Action.VIEW_SESSION_LOG):
        items.append(NavItem(_("Counseling log"), reverse("counseling:session_log"), 53))
    return items


def register_reason_labels() -> None:
    """``screening.risk.reason_label`` names the reason of a proposal made from a session."""
    from counseling.sessions.services import REASON_LABELS
    from screening import risk

    labels = getattr(risk, "REASON_LABELS", None)
    if isinstance(labels, dict):
        for code, label in REASON_LABELS.items():
            labels.setdefault(code, label)
