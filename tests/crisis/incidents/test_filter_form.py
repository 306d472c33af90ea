"""The incidents filter lists every school of an official's city or province: its widgets are
written by the site's ``QuickWidgetRenderer``, character for character what Django's templates
give."""

import pytest
from django.forms.renderers import DjangoTemplates
from django.test.signals import template_rendered
from django.utils import translation

from crisis.incidents.forms import IncidentFilterForm
from mhcare.core.forms import QuickWidgetRenderer

pytestmark = pytest.mark.django_db

STOCK = DjangoTemplates()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_filter_renders_as_with_djangos_renderer(world, language):
    official = world.users["official_a"]
    school = world.school_a.pk
    with translation.override(language):
        for data in [None, {"kind": "nope", "school": str(school), "open_step": "any"}]:
            quick = IncidentFilterForm(data, actor=official)
            stock = IncidentFilterForm(data, actor=official, renderer=STOCK)
            assert isinstance(quick.renderer, QuickWidgetRenderer)
            assert quick.show_school
            if data:
                assert not quick.is_valid()
                assert not stock.is_valid()
            for name in quick.fields:
                assert str(quick[name]) == str(stock[name]), name
                assert str(quick[name].errors) == str(stock[name].errors), name


def test_the_filter_skips_the_widget_templates(world):
    rendered = []

    def record(sender, template, **kwargs):
        rendered.append(template.name)

    form = IncidentFilterForm(actor=world.users["official_a"])
    template_rendered.connect(record)
    try:
        for name in form.fields:
            str(form[name])
    finally:
        template_rendered.disconnect(record)
    assert rendered == []
