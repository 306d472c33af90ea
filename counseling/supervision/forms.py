"""Forms of the supervision pages."""

from __future__ import annotations

from functools import reduce
from operator import or_
from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from counseling.models import StationKind, SupervisionFormat, SupervisionStation
from counseling.supervision.services import (
    NO_SUPERVISEES,
    SUPERVISEE_ROLES,
    TOPIC_REQUIRED,
    supervision_counties,
)
from mhcare.accounts import policy
from mhcare.core.forms import IsoDateInput
from mhcare.orgs.models import OrgKind, OrgUnit

NO_NAMES_WARNING = _(
    "De-identified only: never enter a student's name, student number, class or any detail that "
    "identifies a child or family. Write 'a grade-8 girl', not a name."
)


class SessionForm(forms.Form):
    county: forms.ModelChoiceField[OrgUnit] = forms.ModelChoiceField(
        label=_("County"), queryset=OrgUnit.objects.none()
    )
    station: forms.ModelChoiceField[SupervisionStation] = forms.ModelChoiceField(
        label=_("Station"), queryset=SupervisionStation.objects.none(), required=False
    )
    held_on = forms.DateField(label=_("Date"), widget=IsoDateInput())
    format = forms.ChoiceField(label=_("Format"), choices=SupervisionFormat.choices)
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"), min_value=1, max_value=600, initial=90
    )
    supervisees = forms.ModelMultipleChoiceField(
        label=_("Supervisees"),
        queryset=get_user_model().objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": NO_SUPERVISEES},
    )
    topic = forms.CharField(
        label=_("Topic"), max_length=500, error_messages={"required": TOPIC_REQUIRED}
    )
    cases_discussed = forms.CharField(
        label=_("Cases discussed (de-identified)"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=NO_NAMES_WARNING,
    )

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("held_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        counties = supervision_counties(actor, policy.Action.WRITE_SUPERVISION)
        cast(forms.ModelChoiceField, self.fields["county"]).queryset = counties
        only = list(counties[:2])
        if len(only) == 1:
            self.initial.setdefault("county", only[0].pk)
        cast(
            forms.ModelChoiceField, self.fields["station"]
        ).queryset = SupervisionStation.objects.filter(
            county__in=counties, is_active=True
        ).order_by("name")
        paths = policy.paths(actor, policy.Action.WRITE_SUPERVISION)
        people = get_user_model().objects.none()
        if paths:
            people = (
                get_user_model()
                .objects.filter(
                    reduce(or_, (Q(assignments__org_unit__path__startswith=p) for p in paths)),
                    assignments__role__in=SUPERVISEE_ROLES,
                    assignments__is_active=True,
                    is_active=True,
                )
                .exclude(pk=actor.pk)
                .distinct()
                .order_by("display_name", "username")
            )
        cast(forms.ModelMultipleChoiceField, self.fields["supervisees"]).queryset = people


class StationForm(forms.Form):
    county: forms.ModelChoiceField[OrgUnit] = forms.ModelChoiceField(
        label=_("County"), queryset=OrgUnit.objects.none()
    )
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=StationKind.choices)
    host: forms.ModelChoiceField[OrgUnit] = forms.ModelChoiceField(
        label=_("Host unit"), queryset=OrgUnit.objects.none(), required=False
    )
    address = forms.CharField(label=_("Address"), max_length=300, required=False)

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        units = policy.units(actor, policy.Action.MANAGE_SUPERVISION_STATIONS)
        counties = units.filter(kind=OrgKind.COUNTY, is_active=True).order_by("path")
        cast(forms.ModelChoiceField, self.fields["county"]).queryset = counties
        if len(list(counties[:2])) == 1:
            self.initial.setdefault("county", counties[0].pk)
        cast(forms.ModelChoiceField, self.fields["host"]).queryset = units.filter(
            kind__in=[OrgKind.SCHOOL, OrgKind.COUNTY_CENTER], is_active=True
        ).order_by("path")


class ProfileForm(forms.Form):
    qualifications = forms.CharField(
        label=_("Qualifications"),
        max_length=3000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    certificate = forms.CharField(label=_("Supervisor certificate"), max_length=100, required=False)
    trained_on = forms.DateField(
        label=_("Supervisor training completed"), required=False, widget=IsoDateInput()
    )
