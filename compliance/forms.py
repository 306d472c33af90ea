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


class InspectionForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("Inspected unit"), queryset=OrgUnit.objects.none())
    inspected_on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    items_checked = forms.CharField(
        label=_("Items checked"), widget=forms.Textarea(attrs={"rows": 3})
    )
    findings = forms.CharField(
        label=_("Findings"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]


class RectificationIssueForm(forms.Form):
    school = forms.ModelChoiceField(label=_("School"), queryset=OrgUnit.objects.none())
    finding = forms.CharField(label=_("Finding"), widget=forms.Textarea(attrs={"rows": 3}))
    deadline = forms.DateField(label=_("Deadline"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, schools: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools  # type: ignore[attr-defined]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class RectificationReplyForm(forms.Form):
    measures = forms.CharField(label=_("Measures taken"), widget=forms.Textarea(attrs={"rows": 4}))
    evidence = MultipleFileField(label=_("Evidence (files)"), required=False)


class RectificationDecideForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("accept", _("Accept")), ("return", _("Return"))]
    )
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class CircularForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 6}))
    inspections = forms.ModelMultipleChoiceField(
        label=_("Inspections"), queryset=OrgUnit.objects.none(), required=False
    )

    def __init__(self, *args: Any, inspections: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["inspections"].queryset = inspections  # type: ignore[attr-defined]
