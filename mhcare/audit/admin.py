from django.contrib import admin

from mhcare.accounts.admin import ReadOnlyAdminMixin
from mhcare.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only for everyone (the table is append-only in the database too), and not for the
    platform administrator: the log records the administrators' own actions, so it is read by the
    auditor (the "Audit log" page) — 等保三级's separation of the system and audit administrators.
    A superuser keeps this read-only view."""

    list_display = (
        "at",
        "actor_username",
        "roles",
        "org_unit_code",
        "action",
        "object_type",
        "object_id",
        "student_id",
        "ip",
        "request_id",
    )
    list_filter = ("action",)
    search_fields = ("=actor_username", "=request_id", "=object_id")
    show_full_result_count = False
    fields = list_display + ("detail",)
    readonly_fields = fields
