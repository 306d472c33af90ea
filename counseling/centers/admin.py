"""The configurable checklist items of county-center standardization: the platform admin edits,
adds or deactivates them (an item that has answers cannot be deleted, only deactivated).
Registered from ``CounselingConfig.ready()``."""

from __future__ import annotations

from django.contrib import admin

from counseling.models import ChecklistItem
from mhcare.accounts.admin import PlatformAdminMixin


@admin.register(ChecklistItem)
class ChecklistItemAdmin(PlatformAdminMixin, admin.ModelAdmin):
    list_display = ("order", "code", "title", "title_en", "is_required", "is_active")
    list_display_links = ("code",)
    list_editable = ("order", "is_required", "is_active")
    list_filter = ("is_required", "is_active")
    search_fields = ("code", "title", "title_en")
