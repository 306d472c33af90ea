"""Audit of API reads: every DRF list under /api/v1/ that returns student-linked rows writes one
VIEW event per request naming the rows returned, as the pages do (detail views write one per
object). The event is written in the same transaction as the read; if it cannot be written the
request fails and returns nothing (fail closed)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from rest_framework.request import Request
from rest_framework.response import Response

from mhcare.audit.models import Action
from mhcare.audit.services import audit_record


class AuditedListMixin:
    """Put first in the bases of a ``ListAPIView``: ``list()`` runs in a transaction that also
    writes ``VIEW`` on ``<model label>`` with ``detail = {"via": "api", "ids": [...],
    "student_ids": [...]}`` for the page returned."""

    _audited_rows: Sequence[Any] | None = None

    def paginate_queryset(self, queryset: Any) -> Any:
        page = super().paginate_queryset(queryset)  # type: ignore[misc]
        self._audited_rows = page
        return page

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        with transaction.atomic():
            self._audited_rows = None
            response: Response = super().list(request, *args, **kwargs)  # type: ignore[misc]
            rows = self._audited_rows
            if rows is None:  # not paginated: the whole (scoped) queryset was returned
                rows = list(self.filter_queryset(self.get_queryset()))  # type: ignore[attr-defined]
            model = self.get_queryset().model  # type: ignore[attr-defined]
            label = model._meta.label_lower
            ids = [row.pk for row in rows]
            audit_record(
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
        return response


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
    return sorted({row.student_id for row in rows if getattr(row, "student_id", None)})
