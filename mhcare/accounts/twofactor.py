"""The TOTP second factor (django-otp): who must have one, enrolment with a QR code, single-use
recovery codes (stored as keyed hashes), verification bound to the session
(``django_otp.login`` / ``request.user.is_verified()``) and an administrator's reset.

The middleware (``middleware.TwoFactorMiddleware``) sends a signed-in user who is not verified to
the verification page, or — when the role needs a second factor and there is none — to enrolment,
before anything else."""

from __future__ import annotations

import hmac
import secrets
from typing import Any

import segno
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp import login as otp_login

from mhcare.accounts.models import EncryptedTOTPDevice, RecoveryCode, User
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record

BAD_CODE_ERROR = gettext_lazy("That code is not right. Enter the current code of your app.")
NOT_ENROLLED_ERROR = "The user has no second factor to verify."
REQUIRED_CANNOT_DISABLE_ERROR = gettext_lazy(
    "Your role needs a second factor: it cannot be turned off."
)
NOT_ADMINISTRATOR_ERROR = "Only an administrator resets another user's second factor."
DEVICE_NAME = "authenticator"
# Recovery codes: 10 characters of an alphabet without look-alikes (about 50 bits each).
CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
CODE_LENGTH = 10


def two_factor_required(user: Any) -> bool:
    """Whether the user must have a second factor: staff and superusers, and any role listed in
    ``TWO_FACTOR_REQUIRED_ROLES`` (county, city and province roles, the auditor)."""
    from mhcare.accounts.scope import roles

    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_staff or user.is_superuser:
        return True
    return bool(roles(user) & set(settings.TWO_FACTOR_REQUIRED_ROLES))


def confirmed_device(user: Any) -> EncryptedTOTPDevice | None:
    return (
        EncryptedTOTPDevice.objects.filter(user_id=user.pk, confirmed=True).order_by("id").first()
    )


def pending_device(*, user: Any) -> EncryptedTOTPDevice:
    """The user's unconfirmed device being enrolled (one; made on first call). Its secret is shown
    as a QR code until a code from it confirms it."""
    device = (
        EncryptedTOTPDevice.objects.filter(user_id=user.pk, confirmed=False).order_by("id").first()
    )
    if device is None:
        device = EncryptedTOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def otpauth_uri(device: EncryptedTOTPDevice) -> str:
    return str(device.config_url)


def qr_svg(uri: str) -> str:
    """The QR code of ``uri`` as inline SVG markup, made on the server (no script, no CDN)."""
    return str(segno.make(uri, error="m").svg_inline(scale=4, border=2, dark="#1f2933"))


def _code_hash(code: str) -> str:
    normalised = code.strip().lower().replace("-", "").replace(" ", "")
    return hmac.new(
        str(settings.SECRET_KEY).encode(), f"recovery:{normalised}".encode(), "sha256"
    ).hexdigest()


def _new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


@transaction.atomic
def recovery_codes_create(*, user: Any) -> list[str]:
    """A fresh set of single-use recovery codes (the old set dies). Returned once, never stored."""
    RecoveryCode.objects.filter(user_id=user.pk).delete()
    codes = [_new_code() for _ in range(settings.TWO_FACTOR_RECOVERY_CODES)]
    RecoveryCode.objects.bulk_create(
        [RecoveryCode(user_id=user.pk, code_hash=_code_hash(code)) for code in codes]
    )
    audit_record(actor=user, action=Action.CREATE, obj=user, detail={"recovery_codes": len(codes)})
    return codes


def recovery_codes_left(user: Any) -> int:
    return RecoveryCode.objects.filter(user_id=user.pk, used_at__isnull=True).count()


@transaction.atomic
def device_confirm(*, request: HttpRequest, device: EncryptedTOTPDevice, token: str) -> list[str]:
    """Confirms an enrolment with the first code of the app: the device becomes the user's second
    factor (any earlier one is removed), the session is verified, and a new set of recovery codes
    is returned (to show once)."""
    user: Any = request.user
    if device.user_id != user.pk or device.confirmed:
        raise PermissionDenied
    if not device.verify_token(token.strip()):
        raise ValidationError(BAD_CODE_ERROR, code="bad_code")
    EncryptedTOTPDevice.objects.filter(user_id=user.pk).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    otp_login(request, device)
    audit_record(actor=user, action=Action.CREATE, obj=device, detail={"second_factor": "totp"})
    return recovery_codes_create(user=user)


def second_factor_verify(*, request: HttpRequest, token: str) -> str:
    """Checks a code after the password login: the app's current code or an unused recovery code
    (which is then spent). Verifies the session and returns ``"totp"`` or ``"recovery"``; raises
    ``ValidationError`` (and audits a failed login) otherwise. TOTP attempts are throttled by
    django-otp (each failure doubles the wait)."""
    user: Any = request.user
    device = confirmed_device(user)
    if device is None:
        raise PermissionDenied(NOT_ENROLLED_ERROR)
    token = token.strip()
    method = ""
    # Not one transaction: a failed attempt's throttle count and audit event must stay.
    if token.replace(" ", "").isdigit():
        if device.verify_token(token.replace(" ", "")):
            method = "totp"
    else:
        spent = RecoveryCode.objects.filter(
            user_id=user.pk, code_hash=_code_hash(token), used_at__isnull=True
        ).update(used_at=timezone.now())  # one UPDATE: a code is spent once, even in a race
        if spent:
            method = "recovery"
    if not method:
        audit_record(
            actor=None,
            action=Action.LOGIN_FAILED,
            username=user.get_username(),
            detail={"username": user.get_username(), "second_factor": True},
        )
        raise ValidationError(BAD_CODE_ERROR, code="bad_code")
    otp_login(request, device)
    audit_record(actor=user, action=Action.LOGIN, obj=user, detail={"second_factor": method})
    return method


@transaction.atomic
def second_factor_disable(*, request: HttpRequest) -> None:
    """A user whose role does not need it turns their own second factor off."""
    user: Any = request.user
    if two_factor_required(user):
        raise ValidationError(REQUIRED_CANNOT_DISABLE_ERROR, code="required")
    EncryptedTOTPDevice.objects.filter(user_id=user.pk).delete()
    RecoveryCode.objects.filter(user_id=user.pk).delete()
    audit_record(actor=user, action=Action.DELETE, obj=user, detail={"second_factor": "disabled"})


@transaction.atomic
def second_factor_reset(*, actor: Any, user: User) -> None:
    """An administrator removes a user's second factor (lost phone): the devices and recovery codes
    go, every session of the user ends (they enrol again at the next login), the reset is audited
    and the user is told in their inbox (and by e-mail)."""
    from mhcare.accounts.tokens import is_administrator
    from mhcare.notifications.services import notification_send

    if not is_administrator(actor) or actor.pk == user.pk:
        raise PermissionDenied(NOT_ADMINISTRATOR_ERROR)
    if user.is_superuser and not actor.is_superuser:
        raise PermissionDenied(NOT_ADMINISTRATOR_ERROR)
    EncryptedTOTPDevice.objects.filter(user_id=user.pk).delete()
    RecoveryCode.objects.filter(user_id=user.pk).delete()
    User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        obj=user,
        detail={"via": "admin", "second_factor": "reset"},
    )
    stamp = timezone.now().strftime("%Y%m%d%H%M%S%f")
    notification_send(
        recipient=user,
        kind="account",
        key=f"second-factor-reset:{user.pk}:{stamp}",
        title=_("Your second factor was reset by an administrator"),
        body=_(
            "Set up your authenticator app again at your next login. If you did not ask for "
            "this, tell your administrator at once."
        ),
        url=reverse("accounts:two_factor"),
        urgent=True,
    )
