"""Small form helpers every app's forms and views share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.safestring import SafeString, mark_safe


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


def saved(form: forms.BaseForm, write: Callable[[], object]) -> bool:
    """Validate ``form``, then run the service ``write`` in a savepoint; a service
    ``ValidationError`` lands on the form (``add_service_errors``). Whether the write happened:
    the view then redirects with its message, or renders the form again with its errors."""
    if not form.is_valid():
        return False
    try:
        with transaction.atomic():
            write()
    except ValidationError as exc:
        add_service_errors(form, exc)
        return False
    return True


class QuickSelect(forms.Select):
    """A ``<select>`` whose options are written in Python, not one template render each: a
    county's school filter has a thousand options, which Django's option template renders in
    about half a second. Plain options only (no groups); the attributes (id, aria-*) are the
    widget's as usual."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        from django.forms.utils import flatatt
        from django.utils.html import escape, format_html

        final_attrs = self.build_attrs(self.attrs, attrs)
        final_attrs["name"] = name
        chosen = {str(v) for v in self.format_value(value)}
        options = "".join(
            f'<option value="{escape(key)}"{" selected" if str(key) in chosen else ""}>'
            f"{escape(label)}</option>"
            for key, label in self.choices
        )
        # Every part of ``options`` is escaped above.
        return format_html("<select{}>{}</select>", flatatt(final_attrs), mark_safe(options))  # noqa: S308
