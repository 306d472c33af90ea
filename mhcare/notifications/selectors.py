"""Reads of the inbox. A notification is only ever visible to its recipient."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from mhcare.notifications.models import Notification, NotificationQuerySet


def notification_list(*, actor: Any) -> NotificationQuerySet:
    if not getattr(actor, "is_authenticated", False):
        return Notification.objects.none()
    return Notification.objects.filter(recipient_id=actor.pk).order_by("-created_at", "-id")


def notification_get(*, actor: Any, notification_id: int) -> Notification:
    """The actor's own notification, or 404 (the same for another user's and a missing one)."""
    notification = notification_list(actor=actor).filter(pk=notification_id).first()
    if notification is None:
        raise Http404
    return notification


def unread_count(*, actor: Any) -> int:
    return notification_list(actor=actor).unread().count()
