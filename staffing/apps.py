from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StaffingConfig(AppConfig):
    name = "staffing"
    verbose_name = _("Staffing")

    def ready(self) -> None:
        from mhcare.core import registry
        from staffing import demo, providers

        registry.register_nav(providers.nav_items)
        registry.register_demo_seeder(demo.seed_staffing_demo, order=70)
