"""A password reset link, sent by an administrator (who may not set another user's password:
separation of duties). Django's token (``default_token_generator``) makes the link: it works once
(it depends on the password hash and the last login) and for ``PASSWORD_RESET_TIMEOUT`` seconds."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext_lazy

from mhcare.accounts.models import User
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record

NO_EMAIL_ERROR = gettext_lazy("%(user)s has no e-mail address: no link was sent.")
NOT_ADMINISTRATOR_ERROR = "Only an administrator sends a password reset link."


def reset_url(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("accounts:password_reset_confirm", args=[uid, token])
    return f"{settings.SITE_URL}{path}"


@transaction.atomic
def password_reset_send(*, actor: Any, user: User) -> None:
    """E-mails ``user`` a one-time link to choose a new password (after commit), audited."""
    from mhcare.accounts.tokens import is_administrator

    if not is_administrator(actor) or (user.is_superuser and not actor.is_superuser):
        raise PermissionDenied(NOT_ADMINISTRATOR_ERROR)
    if not user.email or not user.is_active:
        raise ValidationError(NO_EMAIL_ERROR, code="no_email", params={"user": str(user)})
    url = reset_url(user)
    hours = settings.PASSWORD_RESET_TIMEOUT // 3600
    with translation.override(user.language or settings.LANGUAGE_CODE):
        subject = render_to_string("accounts/password_reset_subject.txt").strip()
        body = render_to_string(
            "accounts/password_reset_email.txt", {"user": user, "url": url, "hours": hours}
        )
    audit_record(actor=actor, action=Action.UPDATE, obj=user, detail={"password_reset": "sent"})
    # Not robust: the e-mail is the whole action (nothing else is stored but its audit event), so
    # a mail server's failure is the administrator's error page, and sending again is harmless.
    transaction.on_commit(
        lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email]), robust=False
    )
