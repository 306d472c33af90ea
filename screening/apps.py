from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScreeningConfig(AppConfig):
    name = "screening"
    verbose_name = _("Screening")

    def ready(self) -> None:
        from mhcare.core import registry
        from screening import demo, providers

        registry.register_student_action(providers.student_actions)
        registry.register_timeline(providers.timeline)
        registry.register_demo_seeder(demo.seed_screening_demo, order=50)
