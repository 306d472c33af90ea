"""Forms of the incident pages. Times are entered in the user's time zone (Asia/Shanghai);
errors show next to their field and nothing typed is lost."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from crisis.incidents.selectors import OPEN_ANY, IncidentFilters, incident_schools
from crisis.incidents.services import (
    CHECKLIST,
    DESCRIPTION_REQUIRED,
    FUTURE_TIME,
    REASON_REQUIRED,
    SUMMARY_REQUIRED,
    UNKNOWN_STUDENTS,
    manageable_schools,
    parse_student_numbers,
    school_students_by_number,
)
from crisis.models import IncidentKind, IncidentSeverity
from mhcare.orgs.models import OrgUnit

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
SCHOOL_REQUIRED = _("Choose the school.")
KIND_REQUIRED = _("Choose the kind of incident.")
SEVERITY_REQUIRED = _("Choose the severity.")
TIME_REQUIRED = _("Enter the date and time.")


def datetime_widget() -> forms.DateTimeInput:
    return forms.DateTimeInput(format=DATETIME_FORMAT, attrs={"type": "datetime-local"})


def now_minute() -> Any:
    return timezone.localtime().replace(second=0, microsecond=0)


class IncidentReportForm(forms.Form):
    school: forms.ModelChoiceField[OrgUnit] = forms.ModelChoiceField(
        label=_("School"),
        queryset=OrgUnit.objects.none(),
        error_messages={"required": SCHOOL_REQUIRED, "invalid_choice": SCHOOL_REQUIRED},
    )
    occurred_at = forms.DateTimeField(
        label=_("Occurred at"),
        widget=datetime_widget(),
        error_messages={"required": TIME_REQUIRED},
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[("", "—"), *IncidentKind.choices],
        error_messages={"required": KIND_REQUIRED},
    )
    severity = forms.ChoiceField(
        label=_("Severity"),
        choices=[("", "—"), *IncidentSeverity.choices],
        error_messages={"required": SEVERITY_REQUIRED},
    )
    student_numbers = forms.CharField(
        label=_("Students involved (national student numbers)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
        help_text=_("One or more student numbers of the school, separated by spaces or lines."),
    )
    summary = forms.CharField(
        label=_("What happened"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=10000,
        error_messages={"required": SUMMARY_REQUIRED},
        help_text=_(
            "Facts of the incident. Counseling details belong in the student's case. The bureau "
            "reads it only once the school clears a version without names."
        ),
    )

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("occurred_at", now_minute())
        super().__init__(*args, **kwargs)
        self.actor = actor
        schools = manageable_schools(actor=actor)
        school_field = cast(forms.ModelChoiceField, self.fields["school"])
        school_field.queryset = schools
        only = list(schools[:2])
        if len(only) == 1:
            self.initial.setdefault("school", only[0].pk)
        self.students: list[Any] = []

    def clean_occurred_at(self) -> Any:
        value = self.cleaned_data["occurred_at"]
        if value > timezone.now():
            raise forms.ValidationError(FUTURE_TIME)
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        school = data.get("school")
        numbers = parse_student_numbers(data.get("student_numbers", ""))
        if school is not None and numbers:
            found, missing = school_students_by_number(
                actor=self.actor, school=school, numbers=numbers
            )
            if missing:
                self.add_error(
                    "student_numbers",
                    str(UNKNOWN_STUDENTS % {"numbers": ", ".join(sorted(missing))}),
                )
            self.students = found
        return data


class IncidentStepForm(forms.Form):
    """One checklist step: "done now", or a time entered after the fact."""

    at = forms.DateTimeField(label=_("Done at"), required=False, widget=datetime_widget())
    when = forms.ChoiceField(choices=[("now", "now"), ("at", "at")], required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("when") == "at" and not data.get("at") and "at" not in self.errors:
            self.add_error("at", TIME_REQUIRED)
        return data

    def time(self) -> Any:
        """None means now."""
        return self.cleaned_data.get("at") if self.cleaned_data.get("when") == "at" else None


class IncidentStepNotNeededForm(forms.Form):
    """An optional step (police, medical services, public response) marked not needed."""

    reason = forms.CharField(
        label=_("Why not needed"),
        max_length=500,
        error_messages={"required": REASON_REQUIRED},
    )


class IncidentActionForm(forms.Form):
    at = forms.DateTimeField(
        label=_("When"), widget=datetime_widget(), error_messages={"required": TIME_REQUIRED}
    )
    description = forms.CharField(
        label=_("Action"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        error_messages={"required": DESCRIPTION_REQUIRED},
        help_text=_("What was done and by whom. Do not write counseling details here."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("at", now_minute())
        super().__init__(*args, **kwargs)


class IncidentFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *IncidentKind.choices]
    )
    severity = forms.ChoiceField(
        label=_("Severity"),
        required=False,
        choices=[("", _("All severities")), *IncidentSeverity.choices],
    )
    open_step = forms.ChoiceField(
        label=_("Checklist"),
        required=False,
        choices=[
            ("", _("All incidents")),
            (OPEN_ANY, _("Checklist incomplete")),
            *((step.field, format_lazy("{}: {}", _("Open"), step.label)) for step in CHECKLIST),
        ],
    )
    school: forms.ModelChoiceField[OrgUnit] = forms.ModelChoiceField(
        label=_("School"), required=False, queryset=OrgUnit.objects.none(), empty_label=_("All")
    )
    after = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        schools = incident_schools(actor=actor)
        cast(forms.ModelChoiceField, self.fields["school"]).queryset = schools
        self.show_school = schools.count() > 1

    def filters(self) -> IncidentFilters:
        school = self.cleaned_data.get("school")
        return IncidentFilters(
            kind=self.cleaned_data.get("kind") or "",
            severity=self.cleaned_data.get("severity") or "",
            open_step=self.cleaned_data.get("open_step") or "",
            school=school.pk if school is not None else None,
        )


class IncidentBureauForm(forms.Form):
    bureau_summary = forms.CharField(
        label=_("What happened, as the bureau may read it"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=10000,
        help_text=_(
            "No names, no student numbers, nothing that identifies a child: the bureau reads this "
            "text and the timeline written up to now. Write 'a grade 8 student', not a name."
        ),
    )
