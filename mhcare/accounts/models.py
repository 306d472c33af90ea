"""Users and their role assignments. A user may hold several assignments; each is scoped to one
org unit (and, for class roles, one class). Who may see which kind of record is decided in
``scope.py``."""

from __future__ import annotations

import datetime
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mhcare.core.fields import EncryptedTextField
from mhcare.orgs.models import OrgKind, OrgUnit, SchoolClass


class Role(models.TextChoices):
    PSYCH_TEACHER = "psych_teacher", _("Psychology teacher")
    HOMEROOM_TEACHER = "homeroom_teacher", _("Homeroom teacher")
    SUBJECT_TEACHER = "subject_teacher", _("Subject teacher")
    SCHOOL_LEADER = "school_leader", _("School leader")
    COUNTY_CENTER = "county_center", _("County center staff")
    OFFICIAL = "official", _("Education bureau official")
    SUPERVISOR = "supervisor", _("Supervisor")
    INSTITUTION_STAFF = "institution_staff", _("Institution staff")
    PLATFORM_ADMIN = "platform_admin", _("Platform administrator")
    # 等保三级 separation of duties: reads the audit log and nothing else (not the platform
    # administrator, whose own actions the log records).
    AUDITOR = "auditor", _("Auditor")


CLASS_ROLES = {Role.HOMEROOM_TEACHER, Role.SUBJECT_TEACHER}
CLASS_ROLE_VALUES = sorted(r.value for r in CLASS_ROLES)  # a fixed order keeps migrations stable
SCHOOL_ROLES = {Role.PSYCH_TEACHER, Role.SCHOOL_LEADER, *CLASS_ROLES}

# Which kinds of unit each role may be assigned to.
ROLE_UNIT_KINDS: dict[str, set[str]] = {
    Role.PSYCH_TEACHER: {OrgKind.SCHOOL},
    Role.HOMEROOM_TEACHER: {OrgKind.SCHOOL},
    Role.SUBJECT_TEACHER: {OrgKind.SCHOOL},
    Role.SCHOOL_LEADER: {OrgKind.SCHOOL},
    Role.COUNTY_CENTER: {OrgKind.COUNTY},
    Role.OFFICIAL: {OrgKind.COUNTY, OrgKind.CITY, OrgKind.PROVINCE},
    Role.SUPERVISOR: {OrgKind.COUNTY, OrgKind.CITY},
    Role.INSTITUTION_STAFF: {OrgKind.INSTITUTION},
    Role.PLATFORM_ADMIN: {OrgKind.PROVINCE},
    Role.AUDITOR: {OrgKind.PROVINCE},
}


class User(AbstractUser):
    display_name = models.CharField(_("display name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    language = models.CharField(
        _("language"),
        max_length=10,
        default="zh-hans",
        choices=[("zh-hans", "简体中文"), ("en", "English")],
    )
    # API tokens issued before this moment are dead (a password change ends every credential).
    password_changed_at = models.DateTimeField(_("password changed"), null=True, blank=True)
    # Part of the session hash: raising it ends every session of the user (an administrator's
    # "end sessions"), as a password change does.
    session_epoch = models.PositiveIntegerField(default=0, editable=False)

    objects: ClassVar[UserManager[User]] = UserManager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def set_password(self, raw_password: Any) -> None:
        super().set_password(raw_password)
        self.password_changed_at = timezone.now()
        self._password_to_remember = raw_password is not None

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        if getattr(self, "_password_to_remember", False) and self.has_usable_password():
            self._password_to_remember = False
            PasswordHistory.objects.create(user=self, password=self.password)

    def get_session_auth_hash(self) -> str:
        from django.utils.crypto import salted_hmac

        return salted_hmac(
            "mhcare.accounts.User.get_session_auth_hash",
            f"{self.password}:{self.session_epoch}",
            algorithm="sha256",
        ).hexdigest()

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username


class RoleAssignmentQuerySet(models.QuerySet["RoleAssignment"]):
    def active(self) -> RoleAssignmentQuerySet:
        return self.filter(is_active=True)


class RoleAssignment(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="assignments")
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    org_unit = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="assignments", verbose_name=_("org unit")
    )
    klass = models.ForeignKey(
        SchoolClass,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="assignments",
        verbose_name=_("class"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RoleAssignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "org_unit", "klass"],
                name="assignment_unique",
                nulls_distinct=False,
            ),
            models.CheckConstraint(
                condition=Q(role__in=CLASS_ROLE_VALUES, klass__isnull=False)
                | (~Q(role__in=CLASS_ROLE_VALUES) & Q(klass__isnull=True)),
                name="assignment_class_only_for_class_roles",
            ),
        ]

    def __str__(self) -> str:
        suffix = f" / {self.klass}" if self.klass_id else ""
        return f"{self.get_role_display()} @ {self.org_unit}{suffix}"

    def clean(self) -> None:
        allowed = ROLE_UNIT_KINDS.get(self.role, set())
        if self.org_unit_id and self.org_unit.kind not in allowed:
            raise ValidationError(
                {"org_unit": _("This role cannot be assigned to this kind of unit.")}
            )
        if self.klass is not None and self.klass.school_id != self.org_unit_id:
            raise ValidationError({"klass": _("The class must belong to the assignment's school.")})


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def live(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


class ApiToken(models.Model):
    """A credential for the API (``Authorization: Token <key>``). Only a hash of the key is stored:
    the key is shown once, when made. A token expires, can be revoked by its owner or an
    administrator, dies with a password change or a disabled account, and may be read-only."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("key begins"), max_length=8)
    key_hash = models.CharField(max_length=64, unique=True)
    is_read_only = models.BooleanField(_("read only"), default=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")),
                name="apitoken_expires_after_creation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class PasswordHistory(models.Model):
    """The hashes of a user's earlier passwords: a new one may not repeat the last
    ``PASSWORD_HISTORY_COUNT`` (``validators.PasswordHistoryValidator``)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(max_length=128)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.user_id} {self.created_at:%Y-%m-%d}"


# --- two-factor recovery codes and break-glass grants (issue 13) ---------------------------------


class RecoveryCode(models.Model):
    """One single-use recovery code of a user's second factor (shown once; only its keyed hash is
    stored). A fresh set replaces the old one."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")

    def __str__(self) -> str:
        return f"{self.user_id} {'used' if self.used_at else 'unused'}"


# The roles that may open a record outside their scope in an emergency: the county center and a
# school's crisis group (psychology teacher, leader).
BREAK_GLASS_ROLES = frozenset({Role.COUNTY_CENTER, Role.PSYCH_TEACHER, Role.SCHOOL_LEADER})
# The longest a break-glass grant may last, whatever the setting says (a database constraint).
BREAK_GLASS_MAX_HOURS = 24


class BreakGlassGrantQuerySet(models.QuerySet["BreakGlassGrant"]):
    def live(self) -> BreakGlassGrantQuerySet:
        return self.filter(expires_at__gt=timezone.now())


class BreakGlassGrant(models.Model):
    """Emergency access (DHIS2 "break the glass"): one user may read one record outside their
    scope, for a stated reason, until ``expires_at`` (``scope.scoped`` honours live grants for
    models whose ``Scope`` declares ``break_glass``)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="break_glass_grants")
    object_type = models.CharField(_("record type"), max_length=100)  # model label, lower case
    object_id = models.PositiveBigIntegerField(_("record"))
    school = models.ForeignKey(
        OrgUnit, on_delete=models.PROTECT, related_name="+", verbose_name=_("school")
    )
    reason = EncryptedTextField(_("reason"))
    created_at = models.DateTimeField(_("opened"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))

    objects = BreakGlassGrantQuerySet.as_manager()

    class Meta:
        verbose_name = _("emergency access")
        verbose_name_plural = _("emergency accesses")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "object_type", "expires_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at"))
                & Q(
                    expires_at__lte=models.F("created_at")
                    + datetime.timedelta(hours=BREAK_GLASS_MAX_HOURS)
                ),
                name="breakglass_at_most_24_hours",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.object_type}:{self.object_id}"

    @property
    def is_live(self) -> bool:
        return self.expires_at > timezone.now()


# --- oidc: single sign-on (issue 13) ------------------------------------------------------------


class ExternalIdentity(models.Model):
    """Links a local account to one person at an OpenID Connect provider (``iss`` + ``sub``). The
    link is what lets a provider's user in; roles still come from the account's assignments."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="external_identities", verbose_name=_("user")
    )
    issuer = models.CharField(_("issuer"), max_length=255)
    subject = models.CharField(_("subject"), max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    last_login_at = models.DateTimeField(_("last login"), null=True, blank=True)

    class Meta:
        verbose_name = _("external identity")
        verbose_name_plural = _("external identities")
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="external_identity_subject"),
            models.UniqueConstraint(
                fields=["user", "issuer"], name="external_identity_one_per_user"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.issuer}"
