"""The dry run of the retention job: how many rows of each kind it would change (no names)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from mhcare.core.retention.services import retention_plan


class Command(BaseCommand):
    help = "Count the rows the monthly retention job would anonymise (changes nothing)."

    def handle(self, *args: Any, **options: Any) -> None:
        plan = retention_plan()
        self.stdout.write(f"Retention periods (years): {dict(settings.RETENTION_YEARS)}")
        self.stdout.write(f"As of {plan.today.isoformat()}")
        for kind, count in plan.students.items():
            self.stdout.write(f"  students past the {kind} period: {count}")
        for label, count in plan.rows.items():
            self.stdout.write(f"  {label}: {count} rows would change")
        self.stdout.write(f"Total: {plan.total} rows would change")
