from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScreeningConfig(AppConfig):
    name = "screening"
    verbose_name = _("Screening")

    def ready(self) -> None:
        from django.db.models.signals import pre_save

        from mhcare.core import registry
        from screening import demo, providers
        from screening.models import Instrument
        from screening.services import instrument_guard

        pre_save.connect(instrument_guard, sender=Instrument, dispatch_uid="instrument_guard")

        registry.register_student_action(providers.student_actions)
        registry.register_timeline(providers.timeline)
        registry.register_nav(providers.nav_items)
        registry.register_demo_seeder(demo.seed_screening_demo, order=50)
        from screening.growth import providers as growth_providers
        from screening.observations import providers as observation_providers

        registry.register_student_action(observation_providers.student_actions)
        registry.register_timeline(observation_providers.timeline)
        registry.register_todo(observation_providers.home_panels)
        registry.register_student_section(growth_providers.student_sections)
        observation_providers.register_reason_labels()
        # --- guardian consent (PIPL art. 31; issue 13) ---
        from screening.consents import demo as consent_demo

        registry.register_demo_seeder(consent_demo.seed_consents_demo, order=62)
