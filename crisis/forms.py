from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crisis.models import CaseSource, CaseStatus, FollowUpWay, ReviewDecisionKind
from crisis.selectors import SORTS, CaseFilters, highrisk_schools
from mhcare.core.forms import IsoDateInput
from mhcare.core.grades import GRADE_NAMES
from mhcare.core.risk import RiskLevel, cadence_days
from mhcare.orgs.models import OrgUnit

SORT_LABELS = {"due": _("Follow-up due"), "level": _("Level"), "newest": _("Newest")}


class HighRiskFilterForm(forms.Form):
    level = forms.ChoiceField(
        label=_("Level"), required=False, choices=[("", _("All levels")), *RiskLevel.choices]
    )
    school: forms.ModelChoiceField[OrgUnit] = forms.ModelChoiceField(
        label=_("School"),
        required=False,
        queryset=None,
        empty_label=_("All schools"),
    )
    grade = forms.TypedChoiceField(
        label=_("Grade"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("All grades")), *GRADE_NAMES.items()],
    )
    source = forms.ChoiceField(
        label=_("Source"), required=False, choices=[("", _("All sources")), *CaseSource.choices]
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    not_reported = forms.BooleanField(label=_("Not yet reported (上报)"), required=False)
    sort = forms.ChoiceField(
        label=_("Sort by"), required=False, choices=[(s, SORT_LABELS[s]) for s in SORTS]
    )
    after = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        schools = highrisk_schools(actor=actor)
        # Three columns: a county center chooses among a thousand schools.
        self.fields["school"].queryset = schools.only("id", "code", "name")  # type: ignore[attr-defined]
        self.show_school = len(schools[:2]) > 1

    def filters(self) -> CaseFilters:
        data = self.cleaned_data
        school = data.get("school")
        return CaseFilters(
            level=data.get("level") or "",
            school=school.pk if school is not None else None,
            grade=data.get("grade"),
            source=data.get("source") or "",
            overdue=bool(data.get("overdue")),
            not_reported=bool(data.get("not_reported")),
            sort=data.get("sort") or "due",
        )


NO_LEVEL = "none"
LEVEL_REQUIRED = _("Choose a level, or “None: below the thresholds”: nothing is chosen for you.")


class EvaluationForm(forms.Form):
    # No choice is pre-selected (not even "none"): the person decides, every time. "No level"
    # has its own value so that an untouched form is an error, not a silent "none".
    level = forms.ChoiceField(
        label=_("Confirmed level"),
        choices=[(NO_LEVEL, _("None: below the thresholds")), *RiskLevel.choices],
        error_messages={"required": LEVEL_REQUIRED},
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )
    source = forms.ChoiceField(
        label=_("Source"),
        required=False,
        choices=[("", _("From the proposals")), *CaseSource.choices],
        help_text=_("Where the concern came from, when no proposal led here."),
    )

    def clean_level(self) -> str:
        """The service's level: "" for none, "1"–"3"."""
        level = str(self.cleaned_data["level"])
        return "" if level == NO_LEVEL else level


class FollowUpForm(forms.Form):
    done_on = forms.DateField(label=_("Date"), widget=IsoDateInput())
    way = forms.ChoiceField(label=_("Way"), choices=FollowUpWay.choices)
    state_observed = forms.CharField(
        label=_("State observed"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )
    actions = forms.CharField(
        label=_("Actions taken"),
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=5000,
        required=False,
    )
    next_due = forms.DateField(
        label=_("Next follow-up due"),
        widget=IsoDateInput(),
        required=False,
        help_text=_("Empty: one cadence after this follow-up."),
    )

    def __init__(self, *args: Any, level: str, **kwargs: Any) -> None:
        today = timezone.localdate()
        kwargs.setdefault(
            "initial",
            {"done_on": today, "next_due": today + datetime.timedelta(days=cadence_days(level))},
        )
        super().__init__(*args, **kwargs)


class LevelForm(forms.Form):
    level = forms.ChoiceField(label=_("New level"), choices=RiskLevel.choices)
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=5000
    )


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=CaseStatus.choices)
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=5000
    )


class ReviewForm(forms.Form):
    held_on = forms.DateField(label=_("Held on"), widget=IsoDateInput())
    participants = forms.CharField(
        label=_("Participants"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )
    summary = forms.CharField(
        label=_("Summary"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    next_review_on = forms.DateField(
        label=_("Next review on"), widget=IsoDateInput(), required=False
    )

    def __init__(self, *args: Any, cases: list[Any], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"held_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.cases = cases
        self.case_rows = []
        decisions = [("", _("Not discussed")), *ReviewDecisionKind.choices]
        for case in cases:
            self.fields[f"decision_{case.pk}"] = forms.ChoiceField(
                label=case.student.name, choices=decisions, required=False
            )
            self.fields[f"level_{case.pk}"] = forms.ChoiceField(
                label=_("New level"), choices=[("", "—"), *RiskLevel.choices], required=False
            )
            self.fields[f"note_{case.pk}"] = forms.CharField(
                label=_("Note"), required=False, max_length=2000
            )
            self.case_rows.append(
                {
                    "case": case,
                    "decision": self[f"decision_{case.pk}"],
                    "level": self[f"level_{case.pk}"],
                    "note": self[f"note_{case.pk}"],
                }
            )

    def decisions(self) -> list[tuple[Any, str, str, str]]:
        data = self.cleaned_data
        return [
            (
                case,
                data.get(f"decision_{case.pk}") or "",
                data.get(f"level_{case.pk}") or "",
                data.get(f"note_{case.pk}") or "",
            )
            for case in self.cases
            if data.get(f"decision_{case.pk}")
        ]


class TransferForm(forms.Form):
    to_school_code = forms.CharField(
        label=_("New school's code"),
        max_length=32,
        help_text=_("The 10-digit code of the school the student moves to."),
    )
    note = forms.CharField(
        label=_("Handover note"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def clean_to_school_code(self) -> OrgUnit:
        code = self.cleaned_data["to_school_code"].strip()
        school = OrgUnit.objects.filter(code=code, kind="school", is_active=True).first()
        if school is None:
            raise forms.ValidationError(_("No active school has this code."))
        return school


class TransferDecisionForm(forms.Form):
    accept = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("1", _("Accept the case")), ("0", _("Decline"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    to_class: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Class at your school"), queryset=None, required=False
    )

    def __init__(self, *args: Any, classes: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_class"].queryset = classes  # type: ignore[attr-defined]


class TaskForm(forms.Form):
    title = forms.CharField(label=_("Task for the homeroom teacher"), max_length=200)
    due_on = forms.DateField(label=_("Due on"), widget=IsoDateInput())
