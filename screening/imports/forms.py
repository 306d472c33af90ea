from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from screening.imports.selectors import import_campaigns, import_units
from screening.models import Instrument


class ImportUploadForm(forms.Form):
    campaign = forms.ModelChoiceField(label=_("Campaign"), queryset=None)
    instrument = forms.ModelChoiceField(label=_("Instrument"), queryset=None)
    unit = forms.ModelChoiceField(label=_("School"), queryset=None)
    file = forms.FileField(
        label=_("Results file (.xlsx or .csv)"),
        help_text=_("Use the template of the campaign and instrument; one row per student."),
    )

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = import_campaigns(actor=actor)
        self.fields["instrument"].queryset = Instrument.objects.active().order_by("code")
        units = import_units(actor=actor)
        self.fields["unit"].queryset = units
        if len(units) == 1:
            self.fields["unit"].initial = units[0].pk
