"""Django admin for users and role assignments, plus the mixins every kernel admin uses.

Platform admins (``is_staff`` with a ``platform_admin`` assignment) manage configuration — the org
tree, users, assignments — without Django model permissions. Student-linked models are read through
``scope.scoped`` for everyone but superusers, and the platform admin's role sees no students: "no
student data by default" (DESIGN.md)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import F, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from mhcare.accounts import resets, scope, tokens, twofactor
from mhcare.accounts.models import ApiToken, ExternalIdentity, Role, RoleAssignment, User
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record


def is_platform_admin(user: Any) -> bool:
    return bool(
        user.is_active and user.is_staff and scope.has_role(user, Role.PLATFORM_ADMIN.value)
    )


def _student_of(obj: models.Model) -> Any:
    if obj._meta.label_lower == "orgs.student":
        return obj
    return getattr(obj, "student_id", None)


class AuditedAdminMixin:
    """Every admin write leaves an audit event in the same transaction (the admin's own)."""

    def save_model(self, request: HttpRequest, obj: models.Model, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)  # type: ignore[misc]
        audit_record(
            actor=request.user,
            action=Action.UPDATE if change else Action.CREATE,
            obj=obj,
            student=_student_of(obj),
            detail={"via": "admin", "fields": sorted(form.changed_data) if change else []},
        )

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        super().save_formset(request, form, formset, change)  # type: ignore[misc]
        for obj in formset.new_objects:
            audit_record(actor=request.user, action=Action.CREATE, obj=obj, detail={"via": "admin"})
        for obj, fields in formset.changed_objects:
            audit_record(
                actor=request.user,
                action=Action.UPDATE,
                obj=obj,
                detail={"via": "admin", "fields": sorted(fields)},
            )
        for obj in formset.deleted_objects:
            # Already deleted (its pk is gone): keep what it was in the detail.
            audit_record(
                actor=request.user,
                action=Action.DELETE,
                object_type=obj._meta.label_lower,
                detail={"via": "admin", "label": str(obj)},
            )

    def delete_model(self, request: HttpRequest, obj: models.Model) -> None:
        audit_record(
            actor=request.user,
            action=Action.DELETE,
            obj=obj,
            student=_student_of(obj),
            detail={"via": "admin"},
        )
        super().delete_model(request, obj)  # type: ignore[misc]

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for obj in queryset:
            audit_record(
                actor=request.user,
                action=Action.DELETE,
                obj=obj,
                student=_student_of(obj),
                detail={"via": "admin"},
            )
        super().delete_queryset(request, queryset)  # type: ignore[misc]


class PlatformAdminMixin(AuditedAdminMixin):
    """Configuration models: platform admins may view, add, change and delete them."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_platform_admin(request.user) or super().has_module_permission(request)  # type: ignore[misc]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_platform_admin(request.user) or super().has_view_permission(request, obj)  # type: ignore[misc]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return is_platform_admin(request.user) or super().has_add_permission(request, *args)  # type: ignore[misc]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_platform_admin(request.user) or super().has_change_permission(request, obj)  # type: ignore[misc]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_platform_admin(request.user) or super().has_delete_permission(request, obj)  # type: ignore[misc]


class ScopedAdminMixin(AuditedAdminMixin):
    """Student-linked models: non-superusers see only the rows their role grants allow."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)  # type: ignore[misc]
        if request.user.is_superuser:
            return queryset
        return scope.scoped(request.user, queryset)


class ReadOnlyAdminMixin:
    """Records nobody edits by hand, not even a superuser."""

    actions: Any = None

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    raw_id_fields = ("org_unit", "klass")
    fields = ("role", "org_unit", "klass", "is_active")

    def _may_edit(self, request: HttpRequest, obj: Any) -> bool:
        # A platform admin may not hand roles to themselves or to a superuser.
        if request.user.is_superuser:
            return True
        return is_platform_admin(request.user) and (
            obj is None or (obj.pk != request.user.pk and not obj.is_superuser)
        )

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_platform_admin(request.user) or super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may_edit(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may_edit(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._may_edit(request, obj)


@admin.register(User)
class UserAdmin(PlatformAdminMixin, DjangoUserAdmin):
    list_display = ("username", "display_name", "email", "is_active", "is_staff", "last_login")
    search_fields = ("username", "display_name", "email")
    inlines = (RoleAssignmentInline,)
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (_("Profile"), {"fields": ("display_name", "phone", "language")}),
    )
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        # A platform admin cannot see, and so cannot take over, a superuser account.
        return queryset.filter(is_superuser=False)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += ["is_superuser", "groups", "user_permissions", "last_login", "date_joined"]
        return readonly

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and not request.user.is_superuser and obj.pk == request.user.pk:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and not request.user.is_superuser and obj.pk == request.user.pk:
            return False
        return super().has_delete_permission(request, obj)

    actions: Any = ["end_sessions", "reset_second_factor", "send_password_reset"]

    @admin.action(description=_("End the selected users' sessions (they must log in again)"))
    def end_sessions(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        """Raises each user's session epoch: every session of theirs fails its hash check on its
        next request, on every server (no session store scan)."""
        with transaction.atomic():
            for user in queryset.select_for_update():
                User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
                audit_record(
                    actor=request.user,
                    action=Action.UPDATE,
                    obj=user,
                    detail={"via": "admin", "sessions": "ended"},
                )

    @admin.action(description=_("Reset the selected users' second factor (they enrol again)"))
    def reset_second_factor(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        """A lost phone: the devices and recovery codes go, the user's sessions end, the user is
        told (audited; ``twofactor.second_factor_reset``)."""
        done = 0
        for user in queryset.order_by("pk"):
            if user.pk == request.user.pk:
                continue
            twofactor.second_factor_reset(actor=request.user, user=user)
            done += 1
        self.message_user(request, _("Second factor reset for %(count)d users.") % {"count": done})

    @admin.action(description=_("Send the selected users a password reset link"))
    def send_password_reset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        """The administrator's way to a forgotten password: a one-time link by e-mail (audited),
        never a password they set themselves."""
        sent = 0
        for user in queryset.order_by("pk"):
            try:
                resets.password_reset_send(actor=request.user, user=user)
            except ValidationError as exc:
                self.message_user(request, exc.messages[0], level=messages.WARNING)
            else:
                sent += 1
        self.message_user(request, _("Reset links sent: %(count)d.") % {"count": sent})

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> Any:  # noqa: A002
        """Only a superuser sets another user's password: a platform administrator who could
        would be one step from any account's data (separation of duties)."""
        if not request.user.is_superuser:
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(PlatformAdminMixin, admin.ModelAdmin):
    list_display = ("user", "role", "org_unit", "klass", "is_active", "created_at")
    list_filter = ("role", "is_active")
    search_fields = ("user__username", "user__display_name", "org_unit__name", "org_unit__code")
    raw_id_fields = ("user", "org_unit", "klass")
    list_select_related = ("user", "org_unit", "klass")
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.exclude(user__is_superuser=True).exclude(user_id=request.user.pk)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not request.user.is_superuser and (
            obj.user_id == request.user.pk or obj.user.is_superuser
        ):
            raise PermissionDenied
        super().save_model(request, obj, form, change)


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Administrators list every API token and revoke one (a token is made only by its owner,
    on their account page: an administrator can never hold a key of someone else)."""

    list_display = (
        "name",
        "user",
        "prefix",
        "is_read_only",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    list_filter = ("is_read_only",)
    search_fields = ("name", "user__username", "prefix")
    exclude = ("key_hash",)
    actions: Any = ["revoke"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return tokens.is_administrator(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return tokens.is_administrator(request.user)

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        for token in queryset:
            tokens.token_revoke(actor=request.user, token=token)


# --- oidc: single sign-on (issue 13) ------------------------------------------------------------


@admin.register(ExternalIdentity)
class ExternalIdentityAdmin(PlatformAdminMixin, admin.ModelAdmin):
    """Administrators link a local account to the provincial account's subject (``sub``); the link
    is what lets that person in by single sign-on. Same limits as role assignments: a platform
    administrator links neither their own account nor a superuser's."""

    list_display = ("user", "issuer", "subject", "created_at", "last_login_at")
    search_fields = ("user__username", "user__display_name", "subject")
    raw_id_fields = ("user",)
    list_select_related = ("user",)
    readonly_fields = ("last_login_at",)
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.exclude(user__is_superuser=True).exclude(user_id=request.user.pk)

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        from django.conf import settings

        initial = super().get_changeform_initial_data(request)
        initial.setdefault("issuer", settings.OIDC_ISSUER)
        return initial

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not request.user.is_superuser and (
            obj.user_id == request.user.pk or obj.user.is_superuser
        ):
            raise PermissionDenied
        super().save_model(request, obj, form, change)
