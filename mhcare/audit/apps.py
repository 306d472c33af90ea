from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "mhcare.audit"
    label = "audit"
    verbose_name = _("Audit")

    def ready(self) -> None:
        from mhcare.audit import providers
        from mhcare.core import registry

        registry.register_nav(providers.nav_items)

        from django.core import checks

        from mhcare.audit.checks import audit_retention_check

        checks.register(audit_retention_check)
