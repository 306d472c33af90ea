from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mhcare.core.forms import IsoDateInput
from mhcare.orgs.models import OrgUnit
from staffing.activities.services import (
    KIND_INVALID,
    PARTICIPANTS_INVALID,
    TITLE_REQUIRED,
    recordable_schools,
)
from staffing.models import ActivityCategory, ActivityKind

SCHOOL_REQUIRED = _("Choose the school.")
DATE_REQUIRED = _("Enter the date.")


class ActivityForm(forms.Form):
    school: forms.ModelChoiceField[OrgUnit] = forms.ModelChoiceField(
        label=_("School"),
        queryset=OrgUnit.objects.none(),
        error_messages={"required": SCHOOL_REQUIRED, "invalid_choice": SCHOOL_REQUIRED},
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[("", "—"), *ActivityKind.choices],
        error_messages={"required": KIND_INVALID, "invalid_choice": KIND_INVALID},
    )
    held_on = forms.DateField(
        label=_("Date"), widget=IsoDateInput(), error_messages={"required": DATE_REQUIRED}
    )
    title = forms.CharField(
        label=_("Title"), max_length=200, error_messages={"required": TITLE_REQUIRED}
    )
    participants = forms.IntegerField(
        label=_("Participants"),
        min_value=1,
        max_value=100_000,
        error_messages={
            "required": PARTICIPANTS_INVALID,
            "invalid": PARTICIPANTS_INVALID,
            "min_value": PARTICIPANTS_INVALID,
            "max_value": PARTICIPANTS_INVALID,
        },
        help_text=_("How many took part (students, parents or teachers): the activity's reach."),
    )

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("held_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        schools = recordable_schools(actor=actor)
        field = self.fields["school"]
        field.queryset = schools  # type: ignore[attr-defined]
        if len(schools) == 1:
            field.initial = schools[0].pk


class ActivityFilterForm(forms.Form):
    category = forms.ChoiceField(
        label=_("Category"), required=False, choices=[("", "—"), *ActivityCategory.choices]
    )
    after = forms.IntegerField(required=False, widget=forms.HiddenInput)
