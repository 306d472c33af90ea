from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReferralsConfig(AppConfig):
    name = "referrals"
    verbose_name = _("Referrals")

    def ready(self) -> None:
        from mhcare.core import registry
        from referrals import demo, providers, reminders

        registry.register_nav(providers.nav_items)
        registry.register_todo(providers.home_panels)
        registry.register_student_action(providers.student_actions)
        registry.register_timeline(providers.timeline)
        registry.register_case_section(providers.case_sections)
        reminders.register()
        registry.register_demo_seeder(demo.seed_referrals_demo, order=70)
