"""In-app inbox. Every reminder any app sends is one row here, unique per (recipient, key), so that
sending the same reminder twice is impossible by construction."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mhcare.core.fields import EncryptedTextField


class NotificationQuerySet(models.QuerySet["Notification"]):
    def unread(self) -> "NotificationQuerySet":
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=50)
    key = models.CharField(_("deduplication key"), max_length=200)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    # Shown in the app only, never e-mailed: it may name the student (an e-mail leaves the
    # platform). Encrypted at rest like every other text about a child.
    detail = EncryptedTextField(_("detail"), blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    send_email = models.BooleanField(default=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    # Urgent messages (a critical result, self-harm signs, an incident, a missed deadline or an
    # escalation) are e-mailed at once whatever the recipient chose.
    urgent = models.BooleanField(_("urgent"), default=False)
    # The e-mail is held for the recipient's daily digest; ``digested_at``: when a digest took it.
    email_deferred = models.BooleanField(default=False)
    digested_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(fields=["recipient", "key"], name="notification_once_per_key")
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at"]),
            models.Index(
                fields=["recipient", "created_at"],
                name="notification_digest_pending",
                condition=models.Q(email_deferred=True, digested_at__isnull=True),
            ),
            # ``notification_urgent_unsent_ids`` (the urgent e-mails' sweep): the few rows
            # still to e-mail, not the whole inbox table.
            models.Index(
                fields=["created_at"],
                name="notification_urgent_unsent",
                condition=models.Q(
                    urgent=True, send_email=True, emailed_at__isnull=True, email_deferred=False
                ),
            ),
            # ``notification_unsent_ids(EMAIL_SWEEP)`` (the ordinary e-mails' hourly sweep).
            models.Index(
                fields=["created_at"],
                name="notification_unsent",
                condition=models.Q(
                    urgent=False, send_email=True, emailed_at__isnull=True, email_deferred=False
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class EmailMode(models.TextChoices):
    IMMEDIATE = "immediate", _("Each message at once")
    DIGEST = "digest", _("One daily digest (urgent messages still at once)")


class EmailPreference(models.Model):
    """How a user wants the inbox's messages e-mailed. No row = each message at once."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="email_preference",
    )
    mode = models.CharField(
        _("e-mail"), max_length=10, choices=EmailMode.choices, default=EmailMode.IMMEDIATE
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("e-mail preference")
        verbose_name_plural = _("e-mail preferences")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.mode}"
