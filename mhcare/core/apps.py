from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "mhcare.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        # The engines' task modules: Celery's ``autodiscover_tasks`` looks for ``<app>.tasks`` only,
        # not for tasks in sub-packages, so without this a worker would discard them as
        # unregistered.
        import mhcare.core.outbox.tasks
        import mhcare.core.reminders.tasks  # noqa: F401

        _connect_replica_pin()


# --- scale: the read replica's pin is per request (middleware) and per task (here) ---
def _connect_replica_pin() -> None:
    from celery.signals import task_prerun

    from mhcare.core.replica import reset_pin

    task_prerun.connect(reset_pin, weak=False, dispatch_uid="mhcare.core.replica.reset_pin")
