from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from mhcare.core.grades import GRADE_NAMES
from mhcare.orgs import selectors
from mhcare.orgs.models import EnrolmentStatus, OrgUnit, SchoolClass

MAX_ROSTER_BYTES = 20 * 1024 * 1024


class StudentFilterForm(forms.Form):
    """The filters of the student list (GET). Choices come from the actor's scope."""

    school = forms.ModelChoiceField(
        label=_("School"),
        queryset=OrgUnit.objects.none(),
        to_field_name="code",
        required=False,
        empty_label=_("All schools"),
    )
    grade = forms.TypedChoiceField(
        label=_("Grade"),
        choices=[("", _("All grades")), *GRADE_NAMES.items()],
        coerce=int,
        empty_value=None,
        required=False,
    )
    klass = forms.ModelChoiceField(
        label=_("Class"),
        queryset=SchoolClass.objects.none(),
        required=False,
        empty_label=_("All classes"),
    )
    name = forms.CharField(label=_("Name or student number"), max_length=50, required=False)
    after = forms.IntegerField(min_value=0, required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        schools = selectors.school_choices(actor=actor)
        # The choices read three columns: a county center chooses among a thousand schools.
        self.fields["school"].queryset = schools.only("id", "code", "name")  # type: ignore[attr-defined]
        code = self.data.get("school") if self.is_bound else None
        school = schools.filter(code=code).first() if code else None
        self.fields["klass"].queryset = selectors.class_choices(  # type: ignore[attr-defined]
            actor=actor, school=school
        )

    def filters(self) -> selectors.StudentFilters:
        data = self.cleaned_data
        return selectors.StudentFilters(
            school=data["school"].code if data.get("school") else "",
            grade=data.get("grade"),
            klass=data["klass"].pk if data.get("klass") else None,
            name=(data.get("name") or "").strip(),
        )


class RosterImportForm(forms.Form):
    school = forms.ModelChoiceField(label=_("School"), queryset=OrgUnit.objects.none())
    file = forms.FileField(
        label=_("Roster file (.xlsx or .csv)"),
        help_text=_("Use the template; one row per student and guardian."),
    )

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["school"]
        field.queryset = selectors.staff_import_schools(actor=actor)  # type: ignore[attr-defined]
        if selectors.school_import_allowed(actor=actor):
            # A province has thousands of schools: an administrator types the code, and leaves it
            # empty for a file with only a schools sheet.
            field.to_field_name = "code"  # type: ignore[attr-defined]
            field.widget = forms.TextInput(attrs={"inputmode": "numeric"})
            field.label = _("School code")
            field.required = False
            field.help_text = _("Needed for the classes, students and staff sheets.")
        else:
            schools = list(field.queryset[:2])  # type: ignore[attr-defined]
            if len(schools) == 1:
                field.initial = schools[0].pk

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        name = (upload.name or "").lower()
        if not name.endswith((".xlsx", ".xls", ".csv")):
            raise forms.ValidationError(_("Upload an .xlsx, .xls or .csv file."))
        if upload.size > MAX_ROSTER_BYTES:
            raise forms.ValidationError(_("The file is larger than 20 MB."))
        return upload


class StudentLeaveForm(forms.Form):
    """A student leaves the roll (transferred, graduated) or is suspended (休学)."""

    status = forms.ChoiceField(
        label=_("New status"),
        choices=[
            (EnrolmentStatus.TRANSFERRED, EnrolmentStatus.TRANSFERRED.label),
            (EnrolmentStatus.GRADUATED, EnrolmentStatus.GRADUATED.label),
            (EnrolmentStatus.SUSPENDED, EnrolmentStatus.SUSPENDED.label),
        ],
    )
    left_on = forms.DateField(
        label=_("First day off the roll (or of the suspension)"),
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
