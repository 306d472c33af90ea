"""Small form helpers every app's forms and views share."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError


class IsoDateInput(forms.DateInput):
    """An ``<input type=date>``: it only takes ISO dates, whatever the locale's display format."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def add_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Put a service's ``ValidationError`` on the form: on the named field when the form has it,
    else as a non-field error."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)
