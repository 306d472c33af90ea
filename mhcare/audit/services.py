"""Writing audit events. Call ``audit_record`` inside the same transaction as the read or write it
records: if the event cannot be written, the surrounding work fails too (fail closed)."""

from __future__ import annotations

from typing import Any, TypedDict, Unpack

from django.db import connections, models, router

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


def audit_event(
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
    """The event (not saved) of ``actor`` doing ``action``, with the request's IP and id."""
    ctx = context.current()
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
    fields = _actor_fields(actor)
    if username and not fields["actor_username"]:
        fields["actor_username"] = username[:150]
    return AuditEvent(
        action=str(action),
        object_type=object_type,
        object_id=str(object_id) if object_id != "" else "",
        student_id=getattr(student, "pk", student),
        ip=ip or (ctx.ip if ctx else None),
        request_id=ctx.request_id if ctx else "",
        detail=detail or {},
        **fields,
    )


class EventFields(TypedDict, total=False):
    """``audit_event``'s optional arguments, for the callers that pass them on."""

    obj: models.Model | None
    object_type: str
    object_id: str | int
    student: Any
    detail: dict[str, Any] | None
    ip: str | None
    username: str


def audit_record(*, actor: Any, action: str | Action, **fields: Unpack[EventFields]) -> AuditEvent:
    """Write the event of ``actor`` doing ``action`` (``audit_event``) and return it."""
    event = audit_event(actor=actor, action=action, **fields)
    event.save(force_insert=True)
    return event


def audit_write(event: AuditEvent) -> None:
    """Store ``event`` (``audit_event``) for a caller that needs nothing back (an API read): the
    same row as ``audit_record``, written by one INSERT that does not read the new id back (no
    RETURNING), its SQL built once and its values prepared by the model's fields, no model save.
    It raises like ``audit_record`` when the row cannot be written, so the caller fails closed."""
    connection = connections[router.db_for_write(AuditEvent)]
    fields = _insert_fields()
    with connection.cursor() as cursor:
        cursor.execute(
            _insert_sql(),
            [f.get_db_prep_save(f.pre_save(event, True), connection) for f in fields],
        )


def _insert_fields() -> list[Any]:
    """Every column but the id, each prepared by its own field (``auto_now_add``, JSON)."""
    return [f for f in AuditEvent._meta.local_concrete_fields if not f.primary_key]


_INSERT_SQL: list[str] = []


def _insert_sql() -> str:
    if not _INSERT_SQL:
        columns = ", ".join(f'"{f.column}"' for f in _insert_fields())
        marks = ", ".join(["%s"] * len(_insert_fields()))
        _INSERT_SQL.append(
            f'INSERT INTO "{AuditEvent._meta.db_table}" ({columns}) VALUES ({marks})'  # noqa: S608
        )
    return _INSERT_SQL[0]
