"""Audit of API reads: every DRF list under /api/v1/ that returns student-linked rows writes one
VIEW event per request naming the rows returned, as the pages do (detail views write one per
object). The event is written after the rows are read and before anything is returned, in a
transaction of its own (the read writes nothing, so it needs none: one INSERT, committed, instead
of BEGIN … INSERT … COMMIT around the read); if it cannot be written the request fails and returns
nothing (fail closed)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from mhcare.audit.models import Action
from mhcare.audit.services import audit_event, audit_write


class AuditedListMixin:
    """Put first in the bases of a ``ListAPIView``: ``list()`` writes ``VIEW`` on ``<model
    label>`` with ``detail = {"via": "api", "ids": [...], "student_ids": [...]}`` for the page
    it read, before the response leaves. The rows may be model instances or ``values()`` dicts
    (a list that builds its JSON without a serializer)."""

    _audited_rows: Sequence[Any] | None = None
    _audited_model: Any = None

    def paginate_queryset(self, queryset: Any) -> Any:
        page = super().paginate_queryset(queryset)  # type: ignore[misc]
        self._audited_rows = page
        self._audited_model = queryset.model
        return page

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self._audited_rows = self._audited_model = None
        response: Response = super().list(request, *args, **kwargs)  # type: ignore[misc]
        rows = self._audited_rows
        if rows is None:  # not paginated: the whole (scoped) queryset was returned
            rows = list(self.filter_queryset(self.get_queryset()))  # type: ignore[attr-defined]
        # The model of the page's queryset (no second scoped queryset built just to name it).
        model = self._audited_model or self.get_queryset().model  # type: ignore[attr-defined]
        label = model._meta.label_lower
        ids = [_pk(row) for row in rows]
        # Raises when the event cannot be written: the response above is then never returned.
        audit_write(
            audit_event(
                actor=request.user,
                action=Action.VIEW,
                object_type=label,
                detail={
                    "via": "api",
                    "path": request.path,
                    "ids": ids,
                    "student_ids": _student_ids(model, rows, ids),
                },
            )
        )
        return response


def _pk(row: Any) -> Any:
    return row["id"] if isinstance(row, dict) else row.pk


def _student_ids(model: Any, rows: Sequence[Any], ids: list[Any]) -> list[int]:
    """The students the rows are about: the rows themselves, their ``student`` or their
    ``students`` (an incident involves several)."""
    if model._meta.label_lower == "orgs.student":
        return sorted(ids)
    if any(f.name == "students" and f.many_to_many for f in model._meta.get_fields()):
        through = model._meta.get_field("students").remote_field.through
        source = f"{model._meta.model_name}_id"
        return sorted(
            set(
                through.objects.filter(**{f"{source}__in": ids}).values_list(
                    "student_id", flat=True
                )
            )
        )
    found = (
        row.get("student_id") if isinstance(row, dict) else getattr(row, "student_id", None)
        for row in rows
    )
    return sorted({student_id for student_id in found if student_id})
