from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from crisis.selectors import HighRiskFilters, highrisk_schools
from mhcare.orgs.models import OrgUnit
from screening.models import RiskLevel


class HighRiskFilterForm(forms.Form):
    level = forms.ChoiceField(
        label=_("Level"), required=False, choices=[("", _("All levels")), *RiskLevel.choices]
    )
    school: forms.ModelChoiceField[OrgUnit] = forms.ModelChoiceField(
        label=_("School"), required=False, queryset=None, empty_label=_("All schools")
    )
    after = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        schools = highrisk_schools(actor=actor)
        self.fields["school"].queryset = schools  # type: ignore[attr-defined]
        self.show_school = schools.count() > 1

    def filters(self) -> HighRiskFilters:
        school = self.cleaned_data.get("school")
        return HighRiskFilters(
            level=self.cleaned_data.get("level") or "",
            school=school.pk if school is not None else None,
        )
