"""Admin for the org tree, school calendar, classes, and (scoped) students and guardians."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from mhcare.accounts.admin import PlatformAdminMixin, ScopedAdminMixin
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record
from mhcare.orgs.models import Guardian, OrgUnit, SchoolClass, SchoolYear, Semester, Student


@admin.register(OrgUnit)
class OrgUnitAdmin(PlatformAdminMixin, admin.ModelAdmin):
    list_display = ("code", "name", "kind", "parent", "stage", "enrolled_count", "is_active")
    list_filter = ("kind", "stage", "is_active")
    search_fields = ("code", "name", "name_en")
    raw_id_fields = ("parent",)
    readonly_fields = ("path", "depth")
    list_select_related = ("parent",)
    show_full_result_count = False


class SemesterInline(admin.TabularInline):
    model = Semester
    extra = 0


@admin.register(SchoolYear)
class SchoolYearAdmin(PlatformAdminMixin, admin.ModelAdmin):
    list_display = ("name", "start", "end")
    inlines = (SemesterInline,)


@admin.register(Semester)
class SemesterAdmin(PlatformAdminMixin, admin.ModelAdmin):
    list_display = ("__str__", "start", "end")
    list_select_related = ("school_year",)


@admin.register(SchoolClass)
class SchoolClassAdmin(PlatformAdminMixin, admin.ModelAdmin):
    list_display = ("name", "school", "grade", "school_year", "homeroom_teacher")
    list_filter = ("grade", "school_year")
    search_fields = ("name", "school__name", "school__code")
    raw_id_fields = ("school", "homeroom_teacher")
    list_select_related = ("school", "school_year", "homeroom_teacher")
    show_full_result_count = False


@admin.register(Student)
class StudentAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "masked_number", "school", "klass", "gender", "status")
    list_filter = ("status", "gender")
    search_fields = ("name",)
    raw_id_fields = ("school", "county", "klass")
    list_select_related = ("school", "klass")
    show_full_result_count = False

    @admin.display(description=_("national student number"))
    def masked_number(self, obj: Student) -> str:
        return obj.masked_student_number

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        # An existing student's number is shown masked here too; the full number is on the
        # student's page behind the audited "show number" (a new student is typed in full).
        excluded = tuple(super().get_exclude(request, obj) or ())
        return (*excluded, "student_number") if obj is not None else excluded

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = tuple(super().get_readonly_fields(request, obj))
        return (*readonly, "masked_number") if obj is not None else readonly

    def get_object(self, request: HttpRequest, object_id: str, from_field: Any = None) -> Any:
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            # Opening a student's record in the admin is a view of it like any other.
            audit_record(
                actor=request.user,
                action=Action.VIEW,
                obj=obj,
                student=obj,
                detail={"via": "admin"},
            )
        return obj


@admin.register(Guardian)
class GuardianAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "relation", "masked_phone_display", "student", "school")
    search_fields = ("name", "student__name")
    raw_id_fields = ("student", "school")
    list_select_related = ("student", "school")
    show_full_result_count = False

    @admin.display(description=_("phone"))
    def masked_phone_display(self, obj: Guardian) -> str:
        return obj.masked_phone

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        # The phone is masked here too; the full number is behind the audited "show number" on
        # the student's page, and the roster import updates it.
        excluded = tuple(super().get_exclude(request, obj) or ())
        return (*excluded, "phone") if obj is not None else excluded

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = tuple(super().get_readonly_fields(request, obj))
        return (*readonly, "masked_phone_display") if obj is not None else readonly
