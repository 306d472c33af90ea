"""Forms of the staffing pages: errors next to their field, nothing typed lost."""

from __future__ import annotations

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from staffing.models import CertificateLevel, PostKind
from staffing.teachers.rule import Status

DATE_REQUIRED = _("Enter the date.")
NAME_REQUIRED = _("Enter the name.")
KIND_REQUIRED = _("Choose full-time or part-time.")
FILE_REQUIRED = _("Choose a file.")


def date_widget() -> forms.DateInput:
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


class CountyFilterForm(forms.Form):
    """The county page's filter: unit (code), day and status."""

    unit = forms.ChoiceField(label=_("Unit"), required=False, choices=())
    on = forms.DateField(label=_("On"), required=False, widget=date_widget())
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *Status.choices]
    )

    def __init__(self, *args: object, units: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["unit"].choices = units  # type: ignore[attr-defined]


class DayForm(forms.Form):
    on = forms.DateField(label=_("On"), required=False, widget=date_widget())


class TeacherForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=50, error_messages={"required": NAME_REQUIRED}
    )
    kind = forms.ChoiceField(
        label=_("Post"),
        choices=[("", "—"), *PostKind.choices],
        error_messages={"required": KIND_REQUIRED},
    )
    start_date = forms.DateField(
        label=_("Start date"), widget=date_widget(), error_messages={"required": DATE_REQUIRED}
    )
    psychology_degree = forms.BooleanField(label=_("Psychology degree"), required=False)
    certificate_level = forms.ChoiceField(
        label=_("MH teacher certificate"),
        required=False,
        choices=[("", _("None")), *CertificateLevel.choices],
    )
    certificate_date = forms.DateField(
        label=_("Certificate date"), required=False, widget=date_widget()
    )
    homeroom_equal_treatment = forms.BooleanField(
        label=_("Treated as a homeroom teacher"), required=False
    )


class EndPostForm(forms.Form):
    end_date = forms.DateField(
        label=_("Last day in post"),
        widget=date_widget(),
        error_messages={"required": DATE_REQUIRED},
    )


class TeacherImportForm(forms.Form):
    file = forms.FileField(label=_("File"), error_messages={"required": FILE_REQUIRED})


def parse_day(value: str | None, default: datetime.date) -> datetime.date | None:
    """A YYYY-MM-DD query value; ``default`` when empty, None when malformed."""
    if not value:
        return default
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        return None
