"""Forms of the staffing pages: errors next to their field, nothing typed lost."""

from __future__ import annotations

import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from staffing.groups.services import MemberInput
from staffing.models import CertificateLevel, GroupKind, PostKind, TrainingKind
from staffing.teachers.rule import Status

DATE_REQUIRED = _("Enter the date.")
NAME_REQUIRED = _("Enter the name.")
KIND_REQUIRED = _("Choose full-time or part-time.")
FILE_REQUIRED = _("Choose a file.")
HOMEROOM_MARKS = {"班主任", "homeroom", "homeroom teacher"}
MEMBER_LINE = _("Line %(line)s: write the name and the role, separated by a comma.")
PARTICIPANT_LINE = _("Line %(line)s: write the name and the school's code, separated by a comma.")
UNIT_REQUIRED = _("Choose a teaching-research unit.")


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


class GroupForm(forms.Form):
    """A new MH leading group or crisis group; members one per line as "name, role"."""

    kind = forms.ChoiceField(label=_("Group"), choices=GroupKind.choices)
    established_on = forms.DateField(
        label=_("Established on"), widget=date_widget(), error_messages={"required": DATE_REQUIRED}
    )
    responsible_leader = forms.CharField(label=_("Responsible leader"), max_length=50)
    members = forms.CharField(
        label=_("Members (one per line: name, role)"), widget=forms.Textarea(attrs={"rows": 4})
    )

    def clean_members(self) -> list[MemberInput]:
        members = []
        for number, line in enumerate(self.cleaned_data["members"].splitlines(), start=1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.replace("，", ",").split(",", 1)]
            if len(parts) != 2 or not all(parts):
                raise forms.ValidationError(str(MEMBER_LINE) % {"line": number})
            members.append(MemberInput(parts[0], parts[1]))
        return members


class BudgetForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    amount = forms.DecimalField(
        label=_("Amount (yuan)"), min_value=0, max_digits=14, decimal_places=2
    )


class TrainingForm(forms.Form):
    """A school's own training; participants one per line: "name" or "name, 班主任"."""

    kind = forms.ChoiceField(label=_("Kind"), choices=TrainingKind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    held_on = forms.DateField(
        label=_("Held on"), widget=date_widget(), error_messages={"required": DATE_REQUIRED}
    )
    hours = forms.DecimalField(
        label=_("Hours"), min_value=0, max_digits=5, decimal_places=1, initial=2
    )
    includes_mh_content = forms.BooleanField(
        label=_("Includes MH content"), required=False, initial=True
    )
    participants = forms.CharField(
        label=_("Participants (one per line: name, or name, 班主任)"),
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def clean_participants(self) -> list[tuple[str, bool]]:
        people = []
        for line in self.cleaned_data["participants"].splitlines():
            parts = [p.strip() for p in line.replace("，", ",").split(",", 1)]
            if not parts[0]:
                continue
            people.append((parts[0], len(parts) > 1 and parts[1].lower() in HOMEROOM_MARKS))
        return people


# ---------------------------------------------------------------- bureau forms (county page)


class ResearcherForm(forms.Form):
    """A 教研员 post at a teaching-research unit under the county (city, province)."""

    unit = forms.ChoiceField(
        label=_("Teaching-research unit"), choices=(), error_messages={"required": UNIT_REQUIRED}
    )
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

    def __init__(self, *args: object, units: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["unit"].choices = [("", "—"), *units]  # type: ignore[attr-defined]


class ResponsibilityForm(forms.Form):
    """The bureau's responsible leader, division and person, and the county center's role."""

    responsible_leader = forms.CharField(label=_("Responsible leader"), max_length=50)
    division = forms.CharField(label=_("Responsible division"), max_length=100)
    person_in_charge = forms.CharField(label=_("Person in charge"), max_length=50)
    center_role = forms.CharField(
        label=_("County center's coordinating role"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class BureauTrainingForm(TrainingForm):
    """A county's (city's, province's) training; participants one per line:
    "name, school code" or "name, school code, 班主任"."""

    participants = forms.CharField(
        label=_("Participants (one per line: name, school code, optionally 班主任)"),
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def clean_participants(self) -> list[tuple[str, str, bool]]:  # type: ignore[override]
        people = []
        for number, line in enumerate(self.cleaned_data["participants"].splitlines(), start=1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.replace("，", ",").split(",")]
            if len(parts) < 2 or not parts[0] or not parts[1]:
                raise forms.ValidationError(str(PARTICIPANT_LINE) % {"line": number})
            homeroom = len(parts) > 2 and parts[2].lower() in HOMEROOM_MARKS
            people.append((parts[0], parts[1], homeroom))
        return people
