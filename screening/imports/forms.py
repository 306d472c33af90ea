from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from mhcare.orgs.models import OrgUnit
from screening.imports.selectors import import_campaigns, import_units
from screening.models import Campaign, Instrument


class ImportUploadForm(forms.Form):
    # Querysets are the actor's, set in __init__.
    campaign = forms.ModelChoiceField(label=_("Campaign"), queryset=Campaign.objects.none())
    instrument = forms.ModelChoiceField(label=_("Instrument"), queryset=Instrument.objects.none())
    unit = forms.ModelChoiceField(label=_("School"), queryset=OrgUnit.objects.none())
    file = forms.FileField(
        label=_("Results file (.xlsx or .csv)"),
        help_text=_("Use the template of the campaign and instrument; one row per student."),
    )

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice = cast(dict[str, forms.ModelChoiceField], self.fields)
        choice["campaign"].queryset = import_campaigns(actor=actor)
        choice["instrument"].queryset = Instrument.objects.active().order_by("code")
        units = import_units(actor=actor)
        choice["unit"].queryset = units
        if len(units) == 1:
            self.fields["unit"].initial = units[0].pk
