from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrisisConfig(AppConfig):
    name = "crisis"
    verbose_name = _("Crisis")

    def ready(self) -> None:
        from crisis import panels
        from mhcare.core import registry

        registry.register_todo(panels.home_panels)
