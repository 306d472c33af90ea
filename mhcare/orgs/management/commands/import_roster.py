from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mhcare.orgs import importers, services
from mhcare.orgs.models import OrgKind, OrgUnit


class Command(BaseCommand):
    help = (
        "Import a roster from .xlsx, .xls or .csv: schools, and classes, students, guardians and "
        "staff of one school (--school). Every sheet that holds data is imported, all or nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--school",
            help="The school's code; needed for classes, students and staff, not for schools",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        school = None
        if options["school"]:
            school = OrgUnit.objects.filter(code=options["school"], kind=OrgKind.SCHOOL).first()
            if school is None:
                raise CommandError(f"No school with code {options['school']}")
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        rows, errors = importers.parse_roster(path.read_bytes(), path.name)
        if not errors:
            result = services.roster_import(
                actor=None, school=school, rows=rows, source=f"command:{path.name}"
            )
            errors = result.errors
        if errors:
            for e in errors:
                self.stderr.write(f"{e.sheet}\t{e.row}\t{e.column}\t{e.message}")
            raise CommandError(f"{len(errors)} errors; nothing was imported.")
        target = school.name if school else "schools"
        summary = f"{target}: created {result.created}, updated {result.updated}"
        if not any(result.created.values()) and not any(result.updated.values()):
            # Every row of the file is already stored as it is: not "done", nothing was written.
            self.stdout.write(f"{summary}: nothing changed, every row is already stored.")
            return
        self.stdout.write(self.style.SUCCESS(summary))
