"""Forms of the lesson pages: the multi-class log form, the import form and the month filters.
Errors show next to their field; nothing typed is lost."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mhcare.core.forms import IsoDateInput
from mhcare.orgs.models import OrgUnit, SchoolClass
from staffing.lessons import calendar
from staffing.lessons.services import CLASSES_REQUIRED, TOPIC_REQUIRED, importable_schools
from staffing.models import HOUR_STEPS

DATE_REQUIRED = _("Enter the date of the lesson.")
MONTH_INVALID = _("Enter a month such as 2026-10.")
MONTH_ORDER = _("The first month comes before the last.")
MONTHS_MAX = 12
MONTHS_TOO_MANY = _("Show at most 12 months.")
FILE_REQUIRED = _("Choose a file.")
SCHOOL_REQUIRED = _("Choose the school.")


class ClassChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: SchoolClass) -> str:
        return f"{obj.school.name} · {obj.name}" if self.show_school else obj.name  # type: ignore[attr-defined]


class LessonLogForm(forms.Form):
    classes = ClassChoices(
        label=_("Classes"),
        queryset=SchoolClass.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": CLASSES_REQUIRED, "invalid_choice": CLASSES_REQUIRED},
        help_text=_("Tick every class that had this lesson: one row is logged for each."),
    )
    given_on = forms.DateField(
        label=_("Date"), widget=IsoDateInput(), error_messages={"required": DATE_REQUIRED}
    )
    hours = forms.TypedChoiceField(
        label=_("Class hours"),
        coerce=str,
        error_messages={"required": _("Choose the class hours.")},
    )
    topic = forms.CharField(
        label=_("Topic"), max_length=200, error_messages={"required": TOPIC_REQUIRED}
    )
    teacher_name = forms.CharField(
        label=_("Teacher"),
        max_length=100,
        required=False,
        help_text=_("Leave as it is when you gave the lesson yourself."),
    )

    def __init__(self, *args: Any, classes: Any, actor: Any, **kwargs: Any) -> None:
        initial = kwargs.setdefault("initial", {})
        initial.setdefault("given_on", timezone.localdate())
        initial.setdefault("hours", "1.0")
        initial.setdefault(
            "teacher_name", getattr(actor, "display_name", "") or actor.get_username()
        )
        super().__init__(*args, **kwargs)
        field = self.fields["classes"]
        field.queryset = classes  # type: ignore[attr-defined]
        field.show_school = len({k.school_id for k in classes}) > 1  # type: ignore[attr-defined]
        most = calendar.max_hours()
        self.fields["hours"].choices = [  # type: ignore[attr-defined]
            (str(step.quantize(step.__class__("0.1"))), str(step.normalize()))
            for step in HOUR_STEPS
            if step <= most
        ]


class LessonImportForm(forms.Form):
    school: forms.ModelChoiceField[OrgUnit] = forms.ModelChoiceField(
        label=_("School"),
        queryset=OrgUnit.objects.none(),
        error_messages={"required": SCHOOL_REQUIRED, "invalid_choice": SCHOOL_REQUIRED},
    )
    file = forms.FileField(
        label=_("File"),
        error_messages={"required": FILE_REQUIRED},
        help_text=_("Excel (.xlsx, .xls) or CSV (UTF-8 or GBK)."),
    )

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        schools = importable_schools(actor=actor)
        field = self.fields["school"]
        field.queryset = schools  # type: ignore[attr-defined]
        if len(schools) == 1:
            field.initial = schools[0].pk


class MonthRangeForm(forms.Form):
    start = forms.CharField(label=_("From month"), required=False, max_length=7)
    end = forms.CharField(label=_("To month"), required=False, max_length=7)
    below = forms.BooleanField(
        label=_("Only schools with a class below the required hours"), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("start", "end"):
            self.fields[name].widget.attrs.update({"type": "month", "placeholder": "2026-10"})

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("start", "end"):
            text = data.get(name) or ""
            if text and calendar.parse_month(text) is None:
                self.add_error(name, MONTH_INVALID)
        return data

    def months(self, today: datetime.date | None = None) -> list[datetime.date]:
        default = calendar.default_months(today)
        if not self.is_bound or not self.is_valid():
            return default
        start = calendar.parse_month(self.cleaned_data.get("start")) or default[0]
        end = calendar.parse_month(self.cleaned_data.get("end")) or max(default[-1], start)
        if end < start:
            self.add_error("end", MONTH_ORDER)
            return default
        months = calendar.months_between(start, end)
        if len(months) > MONTHS_MAX:
            self.add_error("end", MONTHS_TOO_MANY)
            return default
        return months
