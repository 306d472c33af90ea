"""``manage.py audit_verify``: walk the audit log's hash chain and name every break (exit 1)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from mhcare.audit import chain


class Command(BaseCommand):
    help = "Verify the audit log's hash chain: find deleted, changed or inserted events."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--seal", action="store_true", help="Seal what is due first (as the periodic job does)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["seal"]:
            chain.seal_pending()
        result = chain.verify()
        for problem in result.problems:
            self.stderr.write(problem)
        summary = f"{result.seals} seals, {result.events} events checked"
        if not result.is_intact:
            raise CommandError(f"audit log NOT intact: {len(result.problems)} problems ({summary})")
        self.stdout.write(f"audit log intact: {summary}")
