"""The campaign form: one row per instrument (use it? for which grades?)."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mhcare.core.forms import IsoDateInput
from mhcare.core.grades import GRADE_NAMES
from mhcare.orgs.models import OrgUnit, SchoolYear, Semester
from screening.campaigns.selectors import active_instruments, creator_units
from screening.campaigns.services import InstrumentPlan
from screening.models import Instrument

GRADE_CHOICES = list(GRADE_NAMES.items())


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: OrgUnit) -> str:
        return f"{obj.name} ({obj.get_kind_display()})"


class CampaignForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("campaign", "Name"), max_length=200)
    org_unit = UnitChoiceField(label=_("Run by"), queryset=OrgUnit.objects.none())
    school_year = forms.ModelChoiceField(
        label=_("School year"), queryset=SchoolYear.objects.order_by("-start")
    )
    semester = forms.ModelChoiceField(
        label=_("Semester"),
        queryset=Semester.objects.select_related("school_year").order_by("-start"),
        required=False,
    )
    window_start = forms.DateField(label=_("Window opens"), widget=IsoDateInput())
    window_end = forms.DateField(label=_("Window closes"), widget=IsoDateInput())
    target_grades = forms.TypedMultipleChoiceField(
        label=_("Target grades"),
        choices=GRADE_CHOICES,
        coerce=int,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "inline-choices"}),
    )
    allow_self_screening = forms.BooleanField(
        label=_("Students may answer with one-time codes"), required=False
    )

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        today = timezone.localdate()
        year = SchoolYear.current(today)
        kwargs.setdefault(
            "initial",
            {
                "school_year": year,
                "semester": Semester.current(today),
                "window_start": today,
                "window_end": min(today + datetime.timedelta(days=30), year.end) if year else today,
                "target_grades": list(range(4, 13)),
            },
        )
        super().__init__(*args, **kwargs)
        units = creator_units(actor=actor)
        unit_field: Any = self.fields["org_unit"]
        unit_field.queryset = units
        first = units.first()
        if first is not None and len(units[:2]) == 1:
            unit_field.initial = first.pk
        self.instruments: list[Instrument] = active_instruments()
        self.instrument_rows: list[dict[str, Any]] = []
        for instrument in self.instruments:
            grades = instrument.definition.get("grades") or {}
            low, high = int(grades.get("min", 1)), int(grades.get("max", 12))
            use = forms.BooleanField(
                label=instrument.display_name(), required=False, initial=instrument.code == "PHQ-9"
            )
            grade_min = forms.IntegerField(
                label=_("from grade"), min_value=1, max_value=12, initial=max(low, 4)
            )
            grade_max = forms.IntegerField(
                label=_("to grade"), min_value=1, max_value=12, initial=high
            )
            grade_min.required = grade_max.required = False
            self.fields[f"use_{instrument.pk}"] = use
            self.fields[f"min_{instrument.pk}"] = grade_min
            self.fields[f"max_{instrument.pk}"] = grade_max
            self.instrument_rows.append(
                {
                    "instrument": instrument,
                    "use": self[f"use_{instrument.pk}"],
                    "min": self[f"min_{instrument.pk}"],
                    "max": self[f"max_{instrument.pk}"],
                    "applies": f"{low}–{high}",
                }
            )

    def main_fields(self) -> list[Any]:
        return [
            self[name]
            for name in (
                "name",
                "org_unit",
                "school_year",
                "semester",
                "window_start",
                "window_end",
                "target_grades",
                "allow_self_screening",
            )
        ]

    def plans(self) -> list[InstrumentPlan]:
        data = self.cleaned_data
        plans = []
        for instrument in self.instruments:
            if not data.get(f"use_{instrument.pk}"):
                continue
            low = data.get(f"min_{instrument.pk}") or 1
            high = data.get(f"max_{instrument.pk}") or 12
            plans.append(InstrumentPlan(instrument=instrument, grade_min=low, grade_max=high))
        return plans
