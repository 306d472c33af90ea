"""Small form helpers every app's forms and views share."""

from __future__ import annotations

import operator
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.forms.renderers import DjangoTemplates
from django.utils.functional import Promise
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeData


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


# The stock widget templates ``QuickWidgetRenderer`` writes in Python: every input type whose
# template is only ``{% include "django/forms/widgets/input.html" %}``, and ``select.html``.
_INPUT_TEMPLATES = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in (
        "input",
        "text",
        "hidden",
        "date",
        "datetime",
        "time",
        "number",
        "email",
        "url",
        "tel",
        "search",
        "password",
    )
)
_SELECT_TEMPLATE = "django/forms/widgets/select.html"
_OPTION_TEMPLATE = "django/forms/widgets/select_option.html"


class _TemplateNeededError(Exception):
    """A value the templates would treat in a way this renderer does not copy: render them."""


def _text(value: Any) -> str:
    """``{{ value }}`` for the text values a widget context holds (names, types, labels)."""
    if not isinstance(value, str | Promise):
        raise _TemplateNeededError  # a number or a date would be localized by the template
    return conditional_escape(cast(Any, value))


def _stringformat(value: Any) -> str:
    """``{{ value|stringformat:'s' }}`` with autoescaping (the filter keeps a safe value safe)."""
    if callable(value):
        raise _TemplateNeededError  # the template would call it
    try:
        text = "%s" % (str(value) if isinstance(value, tuple) else value)  # noqa: UP031
    except (ValueError, TypeError):
        text = ""
    return text if isinstance(value, SafeData) else escape(text)


def _attrs(attrs: dict[str, Any]) -> str:
    """``django/forms/widgets/attrs.html``."""
    if "items" in attrs:
        raise _TemplateNeededError  # the template's ``attrs.items`` would read that key
    parts = []
    for name, value in attrs.items():
        if value is not False:
            parts.append(" " + _text(name))
            if value is not True:
                parts.append('="' + _stringformat(value) + '"')
    return "".join(parts)


def _input(widget: dict[str, Any]) -> str:
    """``django/forms/widgets/input.html``."""
    value = widget["value"]
    shown = ' value="' + _stringformat(value) + '"' if operator.ne(value, None) else ""
    return (
        f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"'
        f"{shown}{_attrs(widget['attrs'])}>"
    )


def _select(widget: dict[str, Any]) -> str:
    """``django/forms/widgets/select.html`` with ``select_option.html``, newlines included."""
    parts = [f'<select name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_text(group_name)}">')
        for option in group_choices:
            if option["template_name"] != _OPTION_TEMPLATE:
                raise _TemplateNeededError
            parts.append(
                f'\n  <option value="{_stringformat(option["value"])}"'
                f"{_attrs(option['attrs'])}>{_text(option['label'])}</option>\n"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


class QuickWidgetRenderer(DjangoTemplates):
    """Django's form renderer, except that the stock ``<input>`` and ``<select>`` templates are
    written in Python — the same characters (tests/core/test_quick_renderer.py compares them);
    a widget then costs about a quarter of its time (Django's own per-widget work included). A
    page with a form per row (the family contacts' fast list: 45 rows × 4 widgets) spent about
    half its time in those templates. Everything else (errors, labels, other widgets, a
    project's own widget templates, values a template would localize or call) renders with the
    templates as usual. The site's form renderer (``FORM_RENDERER``): every form and widget
    renders through it — a ``<select>`` of a province's 6 002 schools (an official's filters
    and forms) or a list of row forms."""

    def __init__(self) -> None:
        super().__init__()
        self._stock_templates: dict[str, bool] = {}

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        quick = template_name in _INPUT_TEMPLATES or template_name == _SELECT_TEMPLATE
        if quick and self._stock(template_name):
            write = _select if template_name == _SELECT_TEMPLATE else _input
            try:
                return write(context["widget"]).strip()
            except _TemplateNeededError:
                pass
        return str(super().render(template_name, context, request=request))

    def _stock(self, template_name: str) -> bool:
        """Whether the templates written here are Django's own files in this project: an app
        that overrides a widget template keeps its template."""
        if template_name not in self._stock_templates:
            stock_dir = Path(forms.__file__).parent / "templates"
            names = [template_name, _OPTION_TEMPLATE, "django/forms/widgets/attrs.html"]
            if template_name in _INPUT_TEMPLATES:
                names.append("django/forms/widgets/input.html")
            self._stock_templates[template_name] = all(
                Path(self.get_template(name).origin.name).is_relative_to(stock_dir)
                for name in names
            )
        return self._stock_templates[template_name]
