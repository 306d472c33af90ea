"""``manage.py import_screening <file> --campaign <id> --instrument <code> --school <code>
--user <username>``: the browser import's service, run synchronously."""

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from mhcare.orgs.models import OrgUnit
from screening.imports import services
from screening.models import Campaign, ImportStatus, Instrument


class Command(BaseCommand):
    help = "Import screening results (.xlsx or .csv) for one school (or county) of a campaign."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--campaign", required=True, type=int, help="The campaign's id")
        parser.add_argument("--instrument", required=True, help="Instrument code, e.g. PHQ-9")
        parser.add_argument("--school", required=True, help="The school's (or county's) code")
        parser.add_argument("--user", required=True, help="The importing user's username")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        user = get_user_model().objects.filter(username=options["user"]).first()
        unit = OrgUnit.objects.filter(code=options["school"]).first()
        campaign = Campaign.objects.filter(pk=options["campaign"]).first()
        instrument = Instrument.objects.latest_of(options["instrument"])
        if user is None:
            raise CommandError("Unknown user")
        if unit is None:
            raise CommandError("Unknown school")
        if campaign is None:
            raise CommandError("Unknown campaign")
        if instrument is None:
            raise CommandError(f"Unknown instrument {options['instrument']}")
        try:
            job = services.import_job_create(
                actor=user,
                campaign=campaign,
                instrument=instrument,
                unit=unit,
                filename=path.name,
                content=path.read_bytes(),
                enqueue=False,
            )
        except (PermissionDenied, ValidationError) as exc:
            raise CommandError(str(exc)) from exc
        job = services.import_run(job_id=job.pk)
        if job.status != ImportStatus.DONE:
            for e in job.errors:
                self.stderr.write(f"{e['row'] or ''}\t{e['column']}\t{e['message']}")
            raise CommandError(f"{len(job.errors)} errors; nothing was imported.")
        self.stdout.write(
            self.style.SUCCESS(
                f"{job.checked_rows} rows: {job.inserted_rows} stored, "
                f"{job.unchanged_rows} unchanged, {job.blank_rows} not screened (blank, skipped)"
            )
        )
