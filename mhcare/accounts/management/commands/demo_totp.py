"""Prints the current code of the demo TOTP key (``seed_demo``'s demo accounts). DEBUG only."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Print the current two-factor code of the demo accounts (DEBUG only)."

    def handle(self, *args: Any, **options: Any) -> None:
        import time

        from django_otp.oath import TOTP

        from mhcare.accounts.demo import DEMO_TOTP_KEY_HEX

        if not settings.DEBUG:
            raise CommandError("demo_totp runs only with DEBUG on (make run).")
        totp = TOTP(bytes.fromhex(DEMO_TOTP_KEY_HEX))
        totp.time = time.time()
        self.stdout.write(f"{totp.token():06d}")
