"""Archive the counseling session records held before the retention period
(``COUNSELING_SESSION_RETENTION_YEARS``). Records are never deleted; archived ones leave the
default lists and stay readable by their writer. Safe to run any number of times (cron)."""

from typing import Any

from django.core.management.base import BaseCommand

from counseling.sessions.services import session_archive_expired


class Command(BaseCommand):
    help = "Archive counseling session records past the retention period (never deletes)."

    def handle(self, *args: Any, **options: Any) -> None:
        count = session_archive_expired()
        self.stdout.write(f"{count} session records archived.")
