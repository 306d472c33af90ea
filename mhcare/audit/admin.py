from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from mhcare.accounts.admin import ReadOnlyAdminMixin, is_platform_admin
from mhcare.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only for everyone (the table is append-only in the database too). Students appear by
    id only, so platform admins can trace events without seeing student data."""

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

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_platform_admin(request.user) or super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_platform_admin(request.user) or super().has_view_permission(request, obj)
