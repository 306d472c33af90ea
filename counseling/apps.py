from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CounselingConfig(AppConfig):
    name = "counseling"
    verbose_name = _("Counseling")

    def ready(self) -> None:
        from counseling import demo_rooms
        from counseling.appointments import providers as appointment_providers
        from counseling.appointments import reminders as appointment_reminders
        from counseling.centers import admin as center_admin  # noqa: F401 - registers the admin
        from counseling.centers import providers as center_providers
        from counseling.guidance import demo as guidance_demo
        from counseling.guidance import providers as guidance_providers
        from counseling.rooms import providers as room_providers
        from counseling.sessions import providers as session_providers
        from counseling.supervision import providers as supervision_providers
        from mhcare.core import registry

        registry.register_nav(room_providers.nav_items)
        registry.register_nav(appointment_providers.nav_items)
        registry.register_todo(appointment_providers.home_panels)
        registry.register_nav(session_providers.nav_items)
        registry.register_timeline(session_providers.timeline)
        session_providers.register_reason_labels()
        appointment_reminders.register()
        registry.register_demo_seeder(demo_rooms.seed_rooms_demo, order=70)
        registry.register_nav(guidance_providers.nav_items)
        registry.register_student_action(guidance_providers.student_actions)
        registry.register_timeline(guidance_providers.timeline)
        registry.register_todo(guidance_providers.home_panels)
        registry.register_nav(supervision_providers.nav_items)
        registry.register_todo(supervision_providers.home_panels)
        registry.register_nav(center_providers.nav_items)
        registry.register_todo(center_providers.home_panels)
        registry.register_demo_seeder(guidance_demo.seed_guidance_demo, order=75)
