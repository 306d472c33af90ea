"""Sending notifications: one inbox row per (recipient, key), and at most one e-mail for it."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from mhcare.notifications.models import Notification

NOT_RECIPIENT_ERROR = "Only the recipient may mark a notification read."


@transaction.atomic
def notification_send(
    *,
    recipient: Any,
    kind: str,
    key: str,
    title: str,
    body: str = "",
    url: str = "",
    send_email: bool = True,
) -> Notification:
    """Put a notification in ``recipient``'s inbox and e-mail it after commit.

    Idempotent by ``(recipient, key)``: a second call with the same key returns the existing row and
    sends nothing. Notifications carry no student data beyond what their title says, so sending one
    is not itself audited; the action that caused it is.
    """
    notification, created = Notification.objects.get_or_create(
        recipient=recipient,
        key=key,
        defaults={
            "kind": kind,
            "title": title[:200],
            "body": body,
            "url": url[:500],
            "send_email": send_email,
        },
    )
    if created and send_email and recipient.email:
        from mhcare.notifications.tasks import notification_email_task

        notification_id = notification.pk
        transaction.on_commit(lambda: notification_email_task.delay(notification_id))
    return notification


def _email_text(notification: Notification) -> str:
    parts = [notification.body] if notification.body else []
    if notification.url:
        base = str(getattr(settings, "SITE_URL", "") or "").rstrip("/")
        parts.append(f"{base}{notification.url}")
    parts.append(_("You can read this message in your mhcare inbox."))
    return "\n\n".join(parts)


@transaction.atomic
def notification_email_deliver(*, notification_id: int) -> bool:
    """E-mail one notification unless it was already e-mailed. The row lock makes two workers that
    got the same task queue up behind each other; the second sees ``emailed_at`` and does nothing.
    Returns whether an e-mail was sent."""
    notification = (
        Notification.objects.select_for_update()
        .select_related("recipient")
        .filter(pk=notification_id)
        .first()
    )
    if notification is None or notification.emailed_at is not None or not notification.send_email:
        return False
    recipient = notification.recipient
    if not recipient.email or not recipient.is_active:
        return False
    with translation.override(getattr(recipient, "language", None) or settings.LANGUAGE_CODE):
        send_mail(
            subject=notification.title,
            message=_email_text(notification),
            from_email=None,
            recipient_list=[recipient.email],
        )
    notification.emailed_at = timezone.now()
    notification.save(update_fields=["emailed_at"])
    return True


@transaction.atomic
def notification_mark_read(*, actor: Any, notification: Notification) -> Notification:
    if notification.recipient_id != actor.pk:
        raise PermissionDenied(NOT_RECIPIENT_ERROR)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


@transaction.atomic
def notification_mark_all_read(*, actor: Any) -> int:
    return Notification.objects.filter(recipient=actor, read_at__isnull=True).update(
        read_at=timezone.now()
    )
