from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplianceConfig(AppConfig):
    name = "compliance"
    verbose_name = _("Compliance")

    def ready(self) -> None:
        from compliance import (  # noqa: F401 - registers computations
            computations,
            computations_provision,
            demo,
            panels,
            reminders,
        )
        from mhcare.core import registry

        reminders.register()
        from compliance import refresh

        registry.register_data_changed(refresh.mark_changed)
        registry.register_demo_seeder(demo.seed_compliance_demo, order=90)
        registry.register_demo_seeder(demo.seed_inspections_demo, order=91)
        registry.register_todo(panels.indicator_panels)
        registry.register_nav(panels.nav_items)
