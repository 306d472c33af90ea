"""A ``DjangoFilterBackend`` that does nothing when a request asks for no filter."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend


class SkipUnfilteredBackend(DjangoFilterBackend):
    """Like ``DjangoFilterBackend``, but a request whose query string names none of the
    filterset's parameters (a filter's name, or its name and a suffix such as ``_min``) gets the
    queryset back as it came, without building and validating the filter form: what the
    filterset would return then (every filter leaves an empty value alone), for a fraction of
    the time. Any filter parameter, valid or not, goes through the filterset as before."""

    def filter_queryset(self, request: Any, queryset: QuerySet[Any], view: Any) -> QuerySet[Any]:
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None and not _names_a_filter(
            request.query_params, filterset_class.base_filters
        ):
            return queryset
        return super().filter_queryset(request, queryset, view)  # type: ignore[no-any-return]


def _names_a_filter(params: Any, filters: Any) -> bool:
    return any(key == name or key.startswith(f"{name}_") for key in params for name in filters)
