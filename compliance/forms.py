from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from compliance.selectors import report_units
from mhcare.orgs.models import OrgUnit


class ReportRequestForm(forms.Form):
    org_unit: forms.ModelChoiceField[OrgUnit] = forms.ModelChoiceField(
        label=_("County"), queryset=None, empty_label=None
    )

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = report_units(actor=actor)  # type: ignore[attr-defined]
