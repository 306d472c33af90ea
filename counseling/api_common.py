"""Small helpers the counseling APIs share."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from rest_framework import serializers
from rest_framework.pagination import CursorPagination

from mhcare.core.pagination import KeysetPagination


def as_drf(exc: ValidationError) -> serializers.ValidationError:
    """A service's ``ValidationError`` as DRF's (400 with the messages by field)."""
    if hasattr(exc, "error_dict"):
        return serializers.ValidationError(exc.message_dict)
    return serializers.ValidationError({"non_field_errors": exc.messages})


def pagination(*ordering: str) -> type[CursorPagination]:
    attrs: dict[str, Any] = {
        "page_size": KeysetPagination.page_size,
        "max_page_size": KeysetPagination.max_page_size,
        "page_size_query_param": KeysetPagination.page_size_query_param,
        "ordering": ordering,
    }
    return type("CounselingPagination", (CursorPagination,), attrs)
