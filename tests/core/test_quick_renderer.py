"""``QuickWidgetRenderer`` writes Django's stock ``<input>`` and ``<select>`` templates in Python:
its output must be the same characters as the templates' (Django's own renderer), for every kind
of value and attribute those templates meet, and it must really skip the templates."""

import datetime
from pathlib import Path
from typing import Any

import pytest
from django import forms
from django.forms import widgets
from django.forms.renderers import DjangoTemplates
from django.test.signals import template_rendered
from django.utils import translation
from django.utils.functional import cached_property
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from crisis.families.forms import FamilyContactForm
from mhcare.core.forms import IsoDateInput, QuickWidgetRenderer

STOCK = DjangoTemplates()
QUICK = QuickWidgetRenderer()
STOCK_DIR = Path(forms.__file__).parent / "templates"

ATTRS: list[dict[str, Any]] = [
    {},
    {"required": True, "disabled": False, "maxlength": 100, "size": 12},
    {"placeholder": gettext_lazy("With whom"), "data-x": 'a "quoted" <b>&\''},
    {"aria-invalid": "true", "aria-describedby": "id_x_error", "class": mark_safe("a&b")},
    {"data-list": [1, "<2>"], "data-pair": ("a", "b"), "data-none": None, "data-zero": 0},
]

VALUES: list[Any] = [
    None,
    "",
    "plain",
    "<script>&\"'",
    mark_safe("<b>safe</b>"),
    0,
    1234567,
    1.5,
    datetime.date(2026, 12, 6),
    "2026-13-45",
    gettext_lazy("Date"),
    ("a", "b"),
]


class RangeInput(widgets.Input):
    input_type = "range"


INPUT_WIDGETS = [
    forms.TextInput,
    forms.HiddenInput,
    forms.NumberInput,
    forms.EmailInput,
    forms.URLInput,
    forms.SearchInput,
    forms.TelInput,
    lambda attrs: forms.PasswordInput(attrs, render_value=True),
    forms.PasswordInput,
    forms.DateInput,
    IsoDateInput,
    forms.TimeInput,
    forms.DateTimeInput,
    lambda attrs: RangeInput(attrs),
]

CHOICES: list[Any] = [
    [],
    [("visit", gettext_lazy("Home visit")), ("phone", gettext_lazy("Phone")), ("x&y", "<x>")],
    [("", "---------"), (1, "one"), (2, "two"), (None, "none")],
    [
        ("Audio", [("vinyl", "Vinyl"), ("cd", "CD")]),
        ("Video", [("vhs", "VHS Tape"), ("dvd", "DVD")]),
        ("unknown", "Unknown"),
    ],
    [(1, 1), (2, datetime.date(2026, 1, 2))],  # labels the template would localize
]


def both(widget, name, value, attrs=None):
    quick = widget.render(name, value, attrs=attrs, renderer=QUICK)
    stock = widget.render(name, value, attrs=attrs, renderer=STOCK)
    return quick, stock


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("make", INPUT_WIDGETS)
def test_inputs_are_the_templates_characters(make, language):
    with translation.override(language):
        for attrs in ATTRS:
            widget = make(dict(attrs)) if callable(make) else make
            for value in VALUES:
                for extra in (None, {"id": "id_s1-x", "required": True}):
                    quick, stock = both(widget, "s1-x", value, extra)
                    assert quick == stock, (widget, attrs, value, extra)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize(
    "widget_class", [forms.Select, forms.SelectMultiple, forms.NullBooleanSelect]
)
def test_selects_are_the_templates_characters(widget_class, language):
    with translation.override(language):
        for attrs in ATTRS:
            for choices in CHOICES:
                if widget_class is forms.NullBooleanSelect:
                    widget = widget_class(attrs=dict(attrs))
                else:
                    widget = widget_class(attrs=dict(attrs), choices=choices)
                values: list[Any] = [None, "", "phone", "x&y", 1, "1", "unknown", True, False, "2"]
                if widget_class is not forms.NullBooleanSelect:
                    values.append(["vinyl", "dvd"])
                for value in values:
                    quick, stock = both(widget, "s1-way", value, {"id": "id_s1-way"})
                    assert quick == stock, (widget_class, attrs, choices, value)


def test_a_callable_attribute_is_left_to_the_template():
    widget = forms.TextInput(attrs={"data-x": lambda: "called"})
    quick, stock = both(widget, "x", "v")
    assert quick == stock
    assert 'data-x="called"' in quick


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_fast_list_row_renders_as_with_djangos_renderer(language):
    """The family contacts' row form, fresh and bound with errors (aria-invalid, the error ids):
    every field, the errors and the whole form are the same characters."""
    with translation.override(language):
        fresh: dict[str, Any] = {
            "prefix": "s7",
            "student_id": 7,
            "initial": {"with_whom": "母亲 王芳"},
        }
        data = {
            "s7-student": "7",
            "s7-token": "not-a-uuid",
            "s7-contacted_on": "2026-13-45",
            "s7-way": "carrier pigeon",
            "s7-with_whom": "",
            "s7-topics": "近况 <b>&",
        }
        for args in [(), (data,)]:
            quick = FamilyContactForm(*args, **fresh)
            stock = FamilyContactForm(*args, renderer=STOCK, **fresh)
            stock.initial["token"] = quick.initial["token"]
            assert isinstance(quick.renderer, QuickWidgetRenderer)
            if args:
                assert not quick.is_valid()
                assert not stock.is_valid()
                assert {"contacted_on", "way", "with_whom", "token"} <= set(quick.errors)
            for name in quick.fields:
                assert str(quick[name]) == str(stock[name]), name
                assert str(quick[name].errors) == str(stock[name].errors), name
            assert str(quick) == str(stock)


def test_the_fast_list_widgets_skip_the_templates():
    """The point of the renderer: no widget template is rendered for a row form."""
    rendered = []

    def record(sender, template, **kwargs):
        rendered.append(template.name)

    form = FamilyContactForm(prefix="s7", student_id=7)
    template_rendered.connect(record)
    try:
        for name in ("student", "token", "contacted_on", "way", "with_whom", "topics"):
            str(form[name])
    finally:
        template_rendered.disconnect(record)
    assert rendered == []


def test_a_project_override_of_a_widget_template_is_kept(tmp_path, settings):
    """A template of the same name found before Django's own (an app overriding it) is used."""
    override = tmp_path / "django" / "forms" / "widgets"
    override.mkdir(parents=True)
    (override / "text.html").write_text('<input class="overridden" name="{{ widget.name }}">')

    class Overridden(QuickWidgetRenderer):
        @cached_property
        def engine(self):
            return self.backend(
                {"APP_DIRS": True, "DIRS": [tmp_path, STOCK_DIR], "NAME": "o", "OPTIONS": {}}
            )

    renderer = Overridden()
    html = forms.TextInput().render("x", "v", renderer=renderer)
    assert html == '<input class="overridden" name="x">'
    # the other templates are still Django's own: written in Python
    assert forms.HiddenInput().render("x", "v", renderer=renderer) == (
        forms.HiddenInput().render("x", "v", renderer=STOCK)
    )
