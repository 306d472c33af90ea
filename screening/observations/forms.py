"""Forms of the observation pages. Errors show next to their field; nothing typed is lost."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mhcare.core.forms import IsoDateInput
from mhcare.core.risk import RiskLevel
from screening.models import ObservationCategory
from screening.observations.services import (
    DESCRIPTION_REQUIRED,
    FUTURE_DATE,
    REVIEW_NOTE_REQUIRED,
)

CATEGORY_REQUIRED = _("Choose a category.")
STUDENT_REQUIRED = _("Choose a student of your class.")


class StudentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} · {obj.klass.name}"


class ObservationReportForm(forms.Form):
    student = StudentChoiceField(
        label=_("Student"),
        queryset=None,
        error_messages={"required": STUDENT_REQUIRED, "invalid_choice": STUDENT_REQUIRED},
    )
    category = forms.ChoiceField(
        label=_("Category"),
        choices=[("", "—"), *ObservationCategory.choices],
        error_messages={"required": CATEGORY_REQUIRED},
    )
    observed_on = forms.DateField(
        label=_("Observed on"),
        widget=IsoDateInput(),
    )
    description = forms.CharField(
        label=_("What did you observe?"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=5000,
        error_messages={"required": DESCRIPTION_REQUIRED},
    )
    on_behalf_of_peer = forms.BooleanField(
        label=_("Reported on behalf of the class's peer counselor (心理委员)"), required=False
    )

    def __init__(self, *args: Any, students: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("observed_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["student"]).queryset = students

    def clean_observed_on(self) -> Any:
        value = self.cleaned_data["observed_on"]
        if value > timezone.localdate():
            raise forms.ValidationError(FUTURE_DATE)
        return value


class ObservationReviewForm(forms.Form):
    review_note = forms.CharField(
        label=_("Review note"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
        error_messages={"required": REVIEW_NOTE_REQUIRED},
    )
    level = forms.ChoiceField(
        label=_("Propose a risk level"),
        choices=[("", _("No level proposed")), *RiskLevel.choices],
        required=False,
        help_text=_(
            "A proposal goes to the comprehensive evaluation; the student appears on the "
            "high-risk list until it is decided."
        ),
    )
