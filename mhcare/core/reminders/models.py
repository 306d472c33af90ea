"""The reminder ledger (DESIGN.md "Architecture": ``mhcare/core/reminders``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# The name of the unique constraint that rules' ``INSERT … ON CONFLICT ON CONSTRAINT`` target.
ONCE_CONSTRAINT = "core_reminder_once"


class ReminderSent(models.Model):
    """The ledger that makes a reminder go out once per (kind, object, due date, recipient,
    stage): the scan inserts here first (``ON CONFLICT DO NOTHING``) and sends only what it
    inserted, so running it twice, or a redelivered task, sends nothing twice."""

    kind = models.CharField(max_length=40)
    object_type = models.CharField(max_length=40)
    object_id = models.BigIntegerField()
    due_on = models.DateField()
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    stage = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "core"
        verbose_name = _("reminder sent")
        verbose_name_plural = _("reminders sent")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_type", "object_id", "due_on", "recipient", "stage"],
                name=ONCE_CONSTRAINT,
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_type}:{self.object_id} {self.due_on}"
