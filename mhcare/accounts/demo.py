"""Demo second factors: ``seed_demo`` enrols one fixed, published TOTP key for every demo user
whose role needs a second factor, so that ``make run`` stays usable (add the key to any
authenticator app, or print the current code with ``manage.py demo_totp``, DEBUG only). Only the
demo accounts get it; production enrols every user with a fresh random key."""

from __future__ import annotations

from typing import Any

from mhcare.accounts.models import EncryptedTOTPDevice, User

# RFC 6238's test key ("12345678901234567890"): public on purpose, demo accounts only.
DEMO_TOTP_KEY_HEX = "3132333435363738393031323334353637383930"
DEMO_TOTP_KEY_BASE32 = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"


def seed_two_factor_demo(*, stdout: Any = None, today: Any = None, **kwargs: Any) -> None:
    from mhcare.accounts.twofactor import DEVICE_NAME, two_factor_required
    from mhcare.orgs.demo import user_specs

    usernames = [spec.username for spec in user_specs()]
    enrolled = []
    for user in User.objects.filter(username__in=usernames).order_by("username"):
        if not two_factor_required(user):
            continue
        if not EncryptedTOTPDevice.objects.filter(user=user, confirmed=True).exists():
            EncryptedTOTPDevice.objects.create(
                user=user, name=DEVICE_NAME, key=DEMO_TOTP_KEY_HEX, confirmed=True
            )
        enrolled.append(user.username)
    if stdout is not None and enrolled:
        stdout.write(
            f"Two-factor: demo users {', '.join(enrolled)} share the demo TOTP key "
            f"{DEMO_TOTP_KEY_BASE32} (manage.py demo_totp prints the current code)\n"
        )
