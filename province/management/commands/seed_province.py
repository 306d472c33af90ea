from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from province import generate


class Command(BaseCommand):
    help = (
        "Generate a whole province (the real Zhejiang tree, schools, classes, students, "
        "guardians, staff, a year of PHQ-9 screening, cases, referrals, lessons, rooms) in an "
        "empty migrated database, set-based. Deterministic from --seed. For benches, never the "
        "demo."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--students", type=int, default=generate.DEFAULT_STUDENTS)
        parser.add_argument("--seed", type=int, default=generate.DEFAULT_SEED)
        parser.add_argument(
            "--year", type=int, default=2026, help="school year start (2026: 2026-2027)"
        )
        parser.add_argument("--reset", action="store_true", help="empty the generated tables first")
        parser.add_argument(
            "--keep-indexes",
            action="store_true",
            help="load with every index in place (by default the plain indexes of the big "
            "tables are dropped and rebuilt after the load)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["students"] < 100:
            raise CommandError("--students must be at least 100")
        try:
            report = generate.seed_province(
                students=options["students"],
                seed=options["seed"],
                year=options["year"],
                reset_first=options["reset"],
                drop_indexes=not options["keep_indexes"],
                say=self.stdout.write,
            )
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        total = sum(seconds for _, seconds, _ in report.phases)
        self.stdout.write(
            f"{report.students:,} students in {total:.1f} s; database size "
            f"{report.database_bytes / 2**30:.2f} GiB"
        )
        self.stdout.write(f"logins (password {report.password}):")
        for role, username in report.logins.items():
            self.stdout.write(f"  {role:<20} {username}")
