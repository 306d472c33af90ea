from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "mhcare.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        # Connects the login / failed login / logout audit receivers.
        from mhcare.accounts import signals  # noqa: F401
        from mhcare.accounts.demo import seed_two_factor_demo
        from mhcare.core import registry

        # After the users (orgs) and before anything that logs in: order just above crisis.
        registry.register_demo_seeder(seed_two_factor_demo, order=61)
        registry.register_nav(_emergency_nav)
        # --- sod: separation of duties (issue 13) ---
        registry.register_nav(_grant_approvals_nav)
        registry.register_todo(_grant_approvals_panel)


def _emergency_nav(actor: Any) -> list[Any]:
    from django.urls import reverse

    from mhcare.accounts import policy
    from mhcare.core.registry import NavItem

    items = []
    if policy.anywhere(actor, policy.Action.BREAK_GLASS):
        items.append(
            NavItem(
                str(_("Emergency access")),
                reverse("accounts:emergency_access"),
                order=900,
                group="system",
            )
        )
    if policy.anywhere(actor, policy.Action.REVIEW_BREAK_GLASS):
        items.append(
            NavItem(
                str(_("Emergency accesses")),
                reverse("accounts:emergency_grants"),
                order=901,
                group="system",
            )
        )
    return items


# --- sod: separation of duties (issue 13) ---


def _pending_count(actor: Any) -> int | None:
    """How many role grants wait for ``actor``; None when they approve none (no query)."""
    from mhcare.accounts import approvals, policy

    if not policy.anywhere(actor, policy.Action.APPROVE_GRANTS):
        return None
    return approvals.pending_for(actor).count()


def _grant_approvals_nav(actor: Any) -> list[Any]:
    """The menu entry, without a count: the menu is on every page and costs no query (the home
    page's panel carries the count)."""
    from django.urls import reverse

    from mhcare.accounts import policy
    from mhcare.core.registry import NavItem

    if not policy.anywhere(actor, policy.Action.APPROVE_GRANTS):
        return []
    return [
        NavItem(
            str(_("Role approvals")), reverse("accounts:grant_approvals"), order=850, group="system"
        )
    ]


def _grant_approvals_panel(actor: Any) -> list[Any]:
    from django.urls import reverse

    from mhcare.core.registry import TodoPanel

    count = _pending_count(actor)
    if not count:
        return []
    return [
        TodoPanel(
            key="grant-approvals",
            title=str(_("Role grants awaiting your approval: %(count)d") % {"count": count}),
            rows=[
                {
                    "label": str(_("Approve or reject them")),
                    "url": reverse("accounts:grant_approvals"),
                }
            ],
            url=reverse("accounts:grant_approvals"),
            order=5,
        )
    ]
