from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StaffingConfig(AppConfig):
    name = "staffing"
    verbose_name = _("Staffing")

    def ready(self) -> None:
        from mhcare.core import registry
        from staffing import demo, providers
        from staffing.activities import demo as activity_demo
        from staffing.activities import providers as activity_providers
        from staffing.lessons import demo as lesson_demo
        from staffing.lessons import providers as lesson_providers
        from staffing.lessons import sections as lesson_sections
        from staffing.selectors import register_county_section, register_provision_section

        registry.register_nav(providers.nav_items)
        registry.register_demo_seeder(demo.seed_staffing_demo, order=70)

        registry.register_nav(lesson_providers.nav_items)
        registry.register_nav(activity_providers.nav_items)
        registry.register_demo_seeder(lesson_demo.seed_lessons_demo, order=72)
        registry.register_demo_seeder(activity_demo.seed_activities_demo, order=73)
        register_provision_section(
            50, "staffing/lessons/_provision_section.html", lesson_sections.provision_section
        )
        register_county_section(
            50, "staffing/lessons/_county_section.html", lesson_sections.county_section
        )
