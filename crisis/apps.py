from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrisisConfig(AppConfig):
    name = "crisis"
    verbose_name = _("Crisis")

    def ready(self) -> None:
        from crisis import demo, panels, providers
        from crisis.families import providers as family_providers
        from crisis.incidents import providers as incident_providers
        from crisis.reminders import rules as reminder_rules
        from crisis.reporting import providers as reporting_providers
        from crisis.reporting import services as reporting_services
        from mhcare.core import registry

        registry.register_todo(panels.home_panels)
        registry.register_student_action(providers.student_actions)
        registry.register_timeline(providers.timeline)
        registry.register_nav(providers.nav_items)
        registry.register_nav(incident_providers.nav_items)
        registry.register_todo(incident_providers.home_panels)
        registry.register_todo(family_providers.home_panels)
        registry.register_nav(family_providers.nav_items)
        registry.register_timeline(family_providers.timeline)
        reporting_providers.register()
        reporting_services.register()
        reminder_rules.register()
        registry.register_demo_seeder(demo.seed_crisis_demo, order=60)
