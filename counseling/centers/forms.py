"""Forms of the county-center standardization pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mhcare.core.forms import IsoDateInput


class EntryForm(forms.Form):
    is_met = forms.BooleanField(label=_("Met"), required=False)
    evidence = forms.CharField(
        label=_("Evidence"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What shows the item is met: the room, the staff list, the hours posted, …"),
    )
    evidence_file = forms.FileField(label=_("Evidence file (PDF, JPEG, PNG)"), required=False)


class JudgeForm(forms.Form):
    is_standardized = forms.TypedChoiceField(
        label=_("Judgement"),
        choices=[("1", _("Standardized")), ("0", _("Not standardized"))],
        coerce=lambda value: value == "1",
    )
    effective_on = forms.DateField(label=_("Judged on"), widget=IsoDateInput())
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("effective_on", timezone.localdate())
        super().__init__(*args, **kwargs)
