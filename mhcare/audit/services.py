"""Writing audit events. Call ``audit_record`` inside the same transaction as the read or write it
records: if the event cannot be written, the surrounding work fails too (fail closed)."""

from __future__ import annotations

from typing import Any

from django.db import models

from mhcare.audit import context
from mhcare.audit.models import Action, AuditEvent


def _actor_fields(actor: Any) -> dict[str, Any]:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return {"actor": None, "actor_username": "", "roles": "", "org_unit_code": ""}
    from mhcare.accounts.models import RoleAssignment
    from mhcare.accounts.scope import grants

    if actor.is_active:
        # The assignments scope already loaded for this request (no query of its own); a unit's
        # code is the last part of its path.
        assignments = [(g.role, g.unit_path.rstrip("/").rsplit("/", 1)[-1]) for g in grants(actor)]
    else:
        assignments = list(
            RoleAssignment.objects.active()
            .filter(user_id=actor.pk)
            .select_related("org_unit")
            .order_by("id")
            .values_list("role", "org_unit__code")
        )
    return {
        "actor": actor,
        "actor_username": actor.get_username(),
        "roles": ",".join(sorted({role for role, _ in assignments}))[:255],
        "org_unit_code": assignments[0][1] if assignments else "",
    }


def audit_record(
    *,
    actor: Any,
    action: str | Action,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    student: Any = None,
    detail: dict[str, Any] | None = None,
    ip: str | None = None,
    username: str = "",
) -> AuditEvent:
    ctx = context.current()
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
    fields = _actor_fields(actor)
    if username and not fields["actor_username"]:
        fields["actor_username"] = username[:150]
    return AuditEvent.objects.create(
        action=str(action),
        object_type=object_type,
        object_id=str(object_id) if object_id != "" else "",
        student_id=getattr(student, "pk", student),
        ip=ip or (ctx.ip if ctx else None),
        request_id=ctx.request_id if ctx else "",
        detail=detail or {},
        **fields,
    )
