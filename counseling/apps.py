from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CounselingConfig(AppConfig):
    name = "counseling"
    verbose_name = _("Counseling")

    def ready(self) -> None:
        from counseling import demo_rooms
        from counseling.appointments import providers as appointment_providers
        from counseling.appointments import reminders as appointment_reminders
        from counseling.rooms import providers as room_providers
        from counseling.sessions import providers as session_providers
        from mhcare.core import registry

        registry.register_nav(room_providers.nav_items)
        registry.register_nav(appointment_providers.nav_items)
        registry.register_todo(appointment_providers.home_panels)
        registry.register_nav(session_providers.nav_items)
        registry.register_timeline(session_providers.timeline)
        session_providers.register_reason_labels()
        appointment_reminders.register()
        registry.register_demo_seeder(demo_rooms.seed_rooms_demo, order=70)
