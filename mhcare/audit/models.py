"""Append-only audit events. The database itself refuses UPDATE and DELETE on this table
(trigger in migration 0002)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Action(models.TextChoices):
    LOGIN = "login", _("Login")
    LOGIN_FAILED = "login_failed", _("Failed login")
    LOGOUT = "logout", _("Logout")
    VIEW = "view", _("View")
    CREATE = "create", _("Create")
    UPDATE = "update", _("Change")
    DELETE = "delete", _("Delete")
    EXPORT = "export", _("Export")
    DOWNLOAD = "download", _("Download")


class AuditEvent(models.Model):
    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    # No database FK to users or students: audit rows outlive both and must never cascade.
    # No single-column index on actor or student either: each leads a composite index below,
    # which serves every lookup by it (two index writes fewer on every page view; migration 0004).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_username = models.CharField(_("user name"), max_length=150, blank=True)
    roles = models.CharField(_("roles"), max_length=255, blank=True)
    org_unit_code = models.CharField(_("org unit"), max_length=32, blank=True)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    student = models.ForeignKey(
        "orgs.Student",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        blank=True,
        related_name="+",
    )
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        default_permissions = ("view",)
        indexes = [
            models.Index(fields=["student", "-at"]),
            models.Index(fields=["actor", "-at"]),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_username} {self.action} {self.object_type}"


class AuditSeal(models.Model):
    """One link of the hash chain over the audit log: the events with ids ``first_id`` ..
    ``last_id`` as they stood when sealed, chained to the previous seal. An edited, deleted or
    back-dated event, or a removed seal, breaks the chain (``manage.py audit_verify``).

    Seals are written by a periodic job, not by each audited request: a chain written inside every
    transaction would serialise all of them on one row. The job seals only events older than
    ``AUDIT_SEAL_DELAY_SECONDS`` (longer than any transaction may stay open), so no event can
    still commit into a sealed range."""

    first_id = models.BigIntegerField()
    last_id = models.BigIntegerField(unique=True)
    event_count = models.PositiveIntegerField()
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    sealed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["last_id"]
        default_permissions = ("view",)
        constraints = [
            models.CheckConstraint(
                condition=models.Q(first_id__lte=models.F("last_id")),
                name="auditseal_range_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_id}..{self.last_id} {self.hash[:12]}"
