"""The OpenAPI schema's view of errors: every operation documents the error answers DRF gives
(drf-spectacular documents only the success), so that a client (and the schema fuzz test,
tests/faults/test_api_schema_fuzz.py) knows what a refused, missing or invalid request gets:

- 400: the validation errors, by field (``{"field": ["message"]}``, ``non_field_errors``), or
  ``{"detail": "..."}`` for an unreadable body;
- 403: not signed in, or not allowed (``{"detail": "..."}``);
- 404: an object or unit missing or outside the caller's scope (``{"detail": "..."}``; an
  ``/api/`` URL that matches nothing answers the same JSON, ``mhcare.core.errors``).

An operation that declares its own answer for one of these codes keeps it."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorDetailSerializer(serializers.Serializer[Any]):
    """A refused or missing request."""

    detail = serializers.CharField()


class ValidationErrorSerializer(serializers.Serializer[Any]):
    """Invalid input: the messages by field name (``non_field_errors`` for the whole input), or
    ``detail`` alone for an unreadable body."""

    non_field_errors = serializers.ListField(child=serializers.CharField(), required=False)
    detail = serializers.CharField(required=False)


ERROR_RESPONSES: dict[str, tuple[type[serializers.Serializer[Any]], str]] = {
    "400": (ValidationErrorSerializer, "Invalid input (messages by field)."),
    "403": (ErrorDetailSerializer, "Not signed in, or not allowed."),
    "404": (ErrorDetailSerializer, "Missing, or outside the caller's scope."),
}


class AutoSchema(SpectacularAutoSchema):
    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction=direction)
        for code, (serializer, description) in ERROR_RESPONSES.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(response=serializer, description=description),
                    code,
                    direction=direction,
                )
        return responses
