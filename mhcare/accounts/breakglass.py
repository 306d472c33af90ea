"""Break-glass emergency access (the DHIS2 pattern): a county-center staff member or a member of a
school's crisis group (psychology teacher, leader) opens one record outside their scope by stating
a reason. The grant lasts ``BREAK_GLASS_HOURS`` (at most 24, a database constraint), is audited
(the audit event names the grant, whose encrypted column keeps the reason) and tells the leaders of
the record's school in their inbox. After it expires the record is a 404 again.

Which models take it: a ``Scope`` with ``break_glass = True`` and ``break_glass_lookups`` (the
fields a user may name the record by, e.g. its id and the student's national number). The hook
that opens the row is ``scope.break_glass_q``."""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mhcare.accounts import scope
from mhcare.accounts.models import (
    BREAK_GLASS_MAX_HOURS,
    BREAK_GLASS_ROLES,
    BreakGlassGrant,
    Role,
    RoleAssignment,
)
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record

NOT_ALLOWED_ERROR = "Only county-center staff and a school's crisis group may break the glass."
NOT_FOUND_ERROR = gettext_lazy("No record matches what you entered.")
REASON_TOO_SHORT_ERROR = gettext_lazy("State the emergency in at least %(count)d characters.")
ALREADY_VISIBLE = "visible"
GRANTED = "granted"


def may_break_glass(user: Any) -> bool:
    return any(g.role in BREAK_GLASS_ROLES for g in scope.grants(user))


def break_glass_models() -> list[type[models.Model]]:
    return [
        m for m in scope.scoped_models() if getattr(getattr(m, "Scope", None), "break_glass", False)
    ]


def _find(query: str) -> models.Model | None:
    """The record named by ``query`` (unscoped: this is the emergency path; the caller audits)."""
    query = query.strip()
    if not query:
        return None
    for model in break_glass_models():
        lookups = getattr(model.Scope, "break_glass_lookups", ("pk",))  # type: ignore[attr-defined]
        for lookup in lookups:
            if lookup == "pk" and not query.isdigit():
                continue
            value: Any = int(query) if lookup == "pk" else query
            found = (
                model._default_manager.filter(**{lookup: value})  # scope-lint: allow break-glass
                .order_by("-pk")
                .first()
            )
            if found is not None:
                return found
    return None


def _school_of(obj: models.Model) -> Any:
    school = obj
    for part in obj.Scope.school_field.split("__"):  # type: ignore[attr-defined]
        school = getattr(school, part)
    return school


def grant_hours() -> int:
    return max(1, min(int(settings.BREAK_GLASS_HOURS), BREAK_GLASS_MAX_HOURS))


def break_glass_open(*, actor: Any, query: str, reason: str) -> tuple[str, models.Model]:
    """Opens the record named by ``query`` (an id or a student number) to ``actor`` for
    ``BREAK_GLASS_HOURS``. Returns (``GRANTED`` or ``ALREADY_VISIBLE``, the record). A record the
    actor already sees needs no grant. Raises ``PermissionDenied`` for other roles and
    ``ValidationError`` for a short reason or no match (the failed attempt is audited too)."""
    if not may_break_glass(actor):
        raise PermissionDenied(NOT_ALLOWED_ERROR)
    reason = reason.strip()
    if len(reason) < settings.BREAK_GLASS_REASON_MIN_LENGTH:
        raise ValidationError(
            REASON_TOO_SHORT_ERROR,
            code="reason",
            params={"count": settings.BREAK_GLASS_REASON_MIN_LENGTH},
        )
    obj = _find(query)
    if obj is None:
        audit_record(
            actor=actor,
            action=Action.VIEW,
            object_type="accounts.breakglassgrant",
            detail={"break_glass": "no_match"},
        )
        raise ValidationError(NOT_FOUND_ERROR, code="not_found")
    model = type(obj)
    if scope.scoped(actor, model).filter(pk=obj.pk).exists():
        return ALREADY_VISIBLE, obj
    return GRANTED, _grant_create(actor=actor, obj=obj, reason=reason)


@transaction.atomic
def _grant_create(*, actor: Any, obj: models.Model, reason: str) -> models.Model:
    model = type(obj)
    now = timezone.now()
    school = _school_of(obj)
    grant = BreakGlassGrant(
        user=actor,
        object_type=model._meta.label_lower,
        object_id=obj.pk,
        school=school,
        reason=reason,
        created_at=now,
        expires_at=now + datetime.timedelta(hours=grant_hours()),
    )
    grant.full_clean()
    grant.save()
    student = getattr(obj, "student", None)
    audit_record(
        actor=actor,
        action=Action.CREATE,
        obj=grant,
        student=student,
        detail={
            "break_glass": model._meta.label_lower,
            "record": obj.pk,
            "expires": grant.expires_at.isoformat(),
        },
    )
    _notify_leaders(grant=grant, actor=actor)
    return obj


def _notify_leaders(*, grant: BreakGlassGrant, actor: Any) -> None:
    from mhcare.notifications.services import Outgoing, notification_send_many

    leader_ids = (
        RoleAssignment.objects.active()
        .filter(role=Role.SCHOOL_LEADER, org_unit_id=grant.school_id, user__is_active=True)
        .values_list("user_id", flat=True)
        .distinct()
    )
    from mhcare.accounts.models import User

    who = str(actor)
    notification_send_many(
        [
            Outgoing(
                recipient=leader,
                kind="break_glass",
                key=f"break-glass:{grant.pk}",
                title=_("Emergency access to a record of your school"),
                body=_(
                    "%(who)s opened a record of your school outside their scope in an emergency, "
                    "until %(until)s. The reason is in the audit log."
                )
                % {
                    "who": who,
                    "until": timezone.localtime(grant.expires_at).strftime("%Y-%m-%d %H:%M"),
                },
                detail=_("Reason given: %(reason)s") % {"reason": grant.reason},
                urgent=True,
            )
            for leader in User.objects.filter(pk__in=list(leader_ids)).order_by("pk")
        ]
    )


def grant_list(*, actor: Any) -> Any:
    """The actor's own grants, newest first."""
    return BreakGlassGrant.objects.filter(user_id=actor.pk).order_by("-created_at", "-id")[:50]


def grant_url(grant: BreakGlassGrant) -> str:
    """The page of the granted record (its ``get_absolute_url``), or "" when it has none."""
    from django.apps import apps

    model = apps.get_model(grant.object_type)
    url = getattr(model, "get_absolute_url", None)
    if url is None:
        return ""
    instance = model(pk=grant.object_id)
    return str(instance.get_absolute_url())  # type: ignore[attr-defined]


# --- protect: the list of emergency accesses and their early end (issue 13) ---
GRANT_OVERSIGHT_PAGE = 50
ALREADY_ENDED_ERROR = gettext_lazy("This emergency access has already ended.")


def grant_oversight_page(
    *, actor: Any, after: int | None = None
) -> tuple[list[BreakGlassGrant], int | None]:
    """The emergency accesses to records of the actor's units (a school leader: their school; the
    county center: the county's schools; the auditor: all in their unit), live and past, newest
    first, by keyset on the id. Each row says who opened what, why and until when."""
    from mhcare.accounts import policy

    grants_qs = policy.narrow(
        actor,
        policy.Action.REVIEW_BREAK_GLASS,
        BreakGlassGrant.objects.select_related("user", "school", "ended_by"),
        school_field="school",
        class_field=None,
    ).order_by("-id")
    if after is not None:
        grants_qs = grants_qs.filter(id__lt=after)
    rows = list(grants_qs[: GRANT_OVERSIGHT_PAGE + 1])
    next_after = rows[GRANT_OVERSIGHT_PAGE - 1].pk if len(rows) > GRANT_OVERSIGHT_PAGE else None
    return rows[:GRANT_OVERSIGHT_PAGE], next_after


def may_end(actor: Any, grant: BreakGlassGrant) -> bool:
    """The holder ends their own access; a leader of the record's school or the county center
    over it ends anyone's. Only while it is live."""
    from mhcare.accounts import policy

    if not grant.is_live:
        return False
    return grant.user_id == actor.pk or policy.allowed(
        actor, policy.Action.END_BREAK_GLASS, grant.school
    )


def grant_get_for_end(*, actor: Any, pk: int) -> BreakGlassGrant:
    """The grant the actor may see (their own, or one of their units'), or 404 — the same 404
    whether it is missing or out of their reach."""
    from django.http import Http404

    from mhcare.accounts import policy

    mine = Q(user_id=actor.pk)
    units = policy.filter_q(actor, policy.Action.END_BREAK_GLASS, school_field="school")
    condition = mine if units is None else mine | units
    grant = BreakGlassGrant.objects.filter(condition, pk=pk).first()
    if grant is None:
        raise Http404
    return grant


@transaction.atomic
def grant_end(*, actor: Any, grant: BreakGlassGrant) -> BreakGlassGrant:
    """Ends an emergency access before it expires (the record is a 404 again for its holder at
    once), audited; the holder is told when someone else ended it."""
    locked = BreakGlassGrant.objects.select_for_update().get(pk=grant.pk)
    if not locked.is_live:
        raise ValidationError(ALREADY_ENDED_ERROR, code="ended")
    if not may_end(actor, locked):
        raise PermissionDenied
    locked.ended_at = timezone.now()
    locked.ended_by = actor
    locked.save(update_fields=["ended_at", "ended_by"])
    audit_record(
        actor=actor,
        action=Action.UPDATE,
        obj=locked,
        detail={"break_glass": "ended", "holder": locked.user_id, "record": locked.object_id},
    )
    if locked.user_id != actor.pk:
        from mhcare.notifications.services import notification_send

        notification_send(
            recipient=locked.user,
            kind="break_glass",
            key=f"break-glass-ended:{locked.pk}",
            title=_("Your emergency access was ended"),
            body=_("%(who)s ended your emergency access to %(record)s before it expired.")
            % {"who": str(actor), "record": f"{locked.object_type} #{locked.object_id}"},
        )
    return locked
