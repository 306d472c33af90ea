"""Forms of the family pages. Errors show next to their field, in the user's language; nothing a
user typed is lost on an error."""

from __future__ import annotations

import uuid
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crisis.families.services import (
    FUTURE_DATE,
    NAME_REQUIRED,
    PERIOD_ORDER,
    WAY_INVALID,
    WITH_WHOM_REQUIRED,
)
from crisis.models import ContactWay
from mhcare.core.forms import IsoDateInput

OTHER_STUDENT = _("This row belongs to another student: nothing was saved. Reload the page.")


class FamilyContactForm(forms.Form):
    """One row of the fast list (``prefix`` = the student's id keeps ids unique on the page).
    The class page renders four widgets for each of its ~45 rows (``QuickWidgetRenderer``, the
    site's form renderer, writes them in Python)."""

    contacted_on = forms.DateField(label=_("Date"), widget=IsoDateInput())
    way = forms.ChoiceField(
        label=_("Way"),
        choices=ContactWay.choices,
        error_messages={"required": WAY_INVALID, "invalid_choice": WAY_INVALID},
    )
    with_whom = forms.CharField(
        label=_("With whom"),
        max_length=100,
        error_messages={"required": WITH_WHOM_REQUIRED},
    )
    topics = forms.CharField(label=_("Topics"), max_length=2000, required=False)
    # Each row's form names its own student and carries its own token: what is typed in a row
    # is logged for that row's student only, and the same form sent twice stores one contact.
    student = forms.IntegerField(widget=forms.HiddenInput, required=False)
    token = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, student_id: int | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("contacted_on", timezone.localdate())
        kwargs["initial"].setdefault("way", ContactWay.PHONE)
        kwargs["initial"].setdefault("token", uuid.uuid4())
        if student_id is not None:
            kwargs["initial"]["student"] = student_id
        super().__init__(*args, **kwargs)
        self.student_id = student_id
        self.fields["contacted_on"].widget.attrs["max"] = timezone.localdate().isoformat()

    def clean_student(self) -> Any:
        value = self.cleaned_data["student"]
        if value is not None and self.student_id is not None and value != self.student_id:
            raise forms.ValidationError(OTHER_STUDENT)
        return value

    def clean_contacted_on(self) -> Any:
        value = self.cleaned_data["contacted_on"]
        if value > timezone.localdate():
            raise forms.ValidationError(FUTURE_DATE)
        return value


class HomeVisitForm(forms.Form):
    """Mark a checklist line visited: the date and whom the visit met."""

    contacted_on = forms.DateField(label=_("Visited on"), widget=IsoDateInput())
    with_whom = forms.CharField(
        label=_("With whom"),
        max_length=100,
        error_messages={"required": WITH_WHOM_REQUIRED},
    )
    topics = forms.CharField(label=_("Topics"), max_length=2000, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("contacted_on", timezone.localdate())
        super().__init__(*args, **kwargs)

    def clean_contacted_on(self) -> Any:
        value = self.cleaned_data["contacted_on"]
        if value > timezone.localdate():
            raise forms.ValidationError(FUTURE_DATE)
        return value


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.get_kind_display()})"


class SemesterChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj)


class KeyPeriodForm(forms.Form):
    name = forms.CharField(
        label=pgettext_lazy("key period", "Name"),
        max_length=100,
        error_messages={"required": NAME_REQUIRED},
        help_text=_("For example 开学前后 (around the start of term) or 国庆小长假前后."),
    )
    org_unit = UnitChoiceField(label=_("For"), queryset=None, empty_label=None)
    semester = SemesterChoiceField(label=_("Semester"), queryset=None, empty_label=None)
    starts_on = forms.DateField(label=_("Starts on"), widget=IsoDateInput())
    ends_on = forms.DateField(label=_("Ends on"), widget=IsoDateInput())
    build_checklist = forms.BooleanField(
        label=_("Fill the home-visit checklist now (case students and 处境不利 students)"),
        required=False,
        initial=True,
    )

    def __init__(self, *args: Any, units: Any, semesters: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["org_unit"]).queryset = units
        cast(forms.ModelChoiceField, self.fields["semester"]).queryset = semesters

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", PERIOD_ORDER)
        return data
