from django.contrib import admin

from mhcare.accounts.admin import ReadOnlyAdminMixin
from mhcare.notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only, and only for those with the model's view permission (superusers): a title may
    name a student, so platform admins do not get it by role."""

    list_display = ("created_at", "recipient", "kind", "title", "read_at", "emailed_at")
    list_filter = ("kind",)
    search_fields = ("=recipient__username", "=key")
    list_select_related = ("recipient",)
    show_full_result_count = False
    readonly_fields = (
        "recipient",
        "kind",
        "key",
        "title",
        "body",
        "url",
        "created_at",
        "read_at",
        "send_email",
        "emailed_at",
    )
