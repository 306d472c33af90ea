import datetime
import time
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from mhcare.core import registry
from mhcare.orgs import demo


class Command(BaseCommand):
    help = (
        "Create the demo province: the Zhejiang org tree, schools, classes, ~3 000 students "
        "and one login per role in 西湖区 and 柯城区, then every app's demo records. "
        "Deterministic; running it again changes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help="Multiply class sizes (1.0 gives about 3 000 students; 0.1 about 300).",
        )
        parser.add_argument("--seed", type=int, default=demo.DEFAULT_SEED)
        parser.add_argument(
            "--today", type=datetime.date.fromisoformat, default=None, help="YYYY-MM-DD"
        )
        parser.add_argument("--quiet-logins", action="store_true", help="Do not print the logins.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["scale"] <= 0:
            raise CommandError("--scale must be positive")
        started = time.monotonic()
        try:
            stats = demo.seed(scale=options["scale"], seed_value=options["seed"])
        except ValidationError as exc:
            raise CommandError(f"DEMO_PASSWORD does not meet the password rules: {exc}") from exc
        self.stdout.write(
            f"Org tree: {stats.units} units; {stats.schools} demo schools, "
            f"{stats.classes} classes, "
            f"{stats.students} students, {stats.guardians} guardians "
            f"({time.monotonic() - started:.1f} s)"
        )
        today = options["today"] or timezone.localdate()
        for seeder in registry.demo_seeders():
            seeder(stdout=self.stdout, today=today)
        if not options["quiet_logins"]:
            self._print_logins(stats.users)
        self.stdout.write(self.style.SUCCESS(f"Demo ready in {time.monotonic() - started:.1f} s."))

    def _print_logins(self, rows: list[tuple[str, str, str, str]]) -> None:
        header = ("role", "username", "password", "unit")
        widths = [max(_width(str(r[i])) for r in [header, *rows]) for i in range(4)]
        line = "+".join("-" * (w + 2) for w in widths)
        self.stdout.write(f"+{line}+")
        for index, row in enumerate([header, *rows]):
            cells = [
                f" {cell}{' ' * (widths[i] - _width(str(cell)))} " for i, cell in enumerate(row)
            ]
            self.stdout.write("|" + "|".join(cells) + "|")
            if index == 0:
                self.stdout.write(f"+{line}+")
        self.stdout.write(f"+{line}+")


def _width(text: str) -> int:
    """Display width: CJK characters take two columns in a terminal."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
