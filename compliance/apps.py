from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplianceConfig(AppConfig):
    name = "compliance"
    verbose_name = _("Compliance")

    def ready(self) -> None:
        from compliance import computations, demo, panels, reminders  # noqa: F401 - registers computations
        from mhcare.core import registry

        reminders.register()
        registry.register_demo_seeder(demo.seed_compliance_demo, order=90)
        registry.register_demo_seeder(demo.seed_inspections_demo, order=91)
        registry.register_todo(panels.indicator_panels)
        registry.register_nav(panels.nav_items)
