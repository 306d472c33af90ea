from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from mhcare.core.forms import IsoDateInput


class SupportPlanForm(forms.Form):
    goals = forms.CharField(
        label=_("Goals"), widget=forms.Textarea(attrs={"rows": 4}), required=False, max_length=5000
    )
    measures = forms.CharField(
        label=_("Measures"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        max_length=5000,
    )
    responsible = forms.CharField(label=_("Responsible people"), required=False, max_length=255)
    review_date = forms.DateField(
        label=_("Review date"),
        required=False,
        widget=IsoDateInput(),
    )
