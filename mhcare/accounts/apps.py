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


def _emergency_nav(actor: Any) -> list[Any]:
    from django.urls import reverse

    from mhcare.accounts import policy
    from mhcare.core.registry import NavItem

    if not policy.anywhere(actor, policy.Action.BREAK_GLASS):
        return []
    return [
        NavItem(
            str(_("Emergency access")),
            reverse("accounts:emergency_access"),
            order=900,
            group="system",
        )
    ]
