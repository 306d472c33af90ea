from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from compliance.periods import Period, parse_period, period_choices
from compliance.selectors import report_units
from mhcare.orgs.models import OrgUnit

UNIT_NOT_FOUND = _("Choose a unit from the picker.")


class ReportRequestForm(forms.Form):
    """The unit comes from the picker (its code); the period from the usual choices (or any
    valid period code through the API)."""

    unit = forms.CharField(label=_("Unit"), widget=forms.HiddenInput)
    period = forms.ChoiceField(label=_("Period"), choices=())

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.fields["period"].choices = period_choices()  # type: ignore[attr-defined]

    def clean_unit(self) -> OrgUnit:
        unit = report_units(actor=self.actor).filter(code=self.cleaned_data["unit"]).first()
        if unit is None:
            raise forms.ValidationError(UNIT_NOT_FOUND, code="unit")
        return unit

    def clean_period(self) -> Period:
        try:
            return parse_period(self.cleaned_data["period"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc), code="period") from exc
