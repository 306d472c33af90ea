"""Forms of the counseling rooms, duty, appointments and session records pages: they validate
input only; the services decide."""

from __future__ import annotations

import datetime
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from counseling.models import AppointmentStatus, CounselingRoom, RoomStandard, Weekday
from counseling.rooms import selectors as room_selectors
from mhcare.accounts import scope
from mhcare.accounts.models import User
from mhcare.core.forms import IsoDateInput
from mhcare.core.risk import RiskLevel
from mhcare.orgs.models import OrgUnit, Student

TIME_WIDGET = forms.TimeInput(format="%H:%M", attrs={"type": "time"})


class UserChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name or obj.username)


class RoomChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.unit.name} · {obj.name}"


class RoomForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("Kept by"), queryset=OrgUnit.objects.none())
    name = forms.CharField(label=_("Name"), max_length=100)
    place = forms.CharField(label=_("Place"), max_length=200)
    standards = forms.MultipleChoiceField(
        label=_("Standardization items met"),
        choices=RoomStandard.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "inline-choices"}),
    )
    capacity = forms.IntegerField(label=_("Capacity"), min_value=1, max_value=100, initial=1)
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True)

    def __init__(self, *args: Any, actor: Any, room: CounselingRoom | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if room is not None:
            del self.fields["unit"]
        else:
            del self.fields["is_active"]
            units = room_selectors.room_units(actor=actor).order_by("path")
            cast(forms.ModelChoiceField, self.fields["unit"]).queryset = units
            if units.count() == 1:
                self.fields["unit"].initial = units.first()


class OpeningHoursForm(forms.Form):
    weekday = forms.TypedChoiceField(label=_("Weekday"), choices=Weekday.choices, coerce=int)
    opens = forms.TimeField(label=_("Opens"), widget=TIME_WIDGET)
    closes = forms.TimeField(label=_("Closes"), widget=TIME_WIDGET)
    is_extended = forms.BooleanField(label=_("Extended after-school hours"), required=False)


class ShiftForm(forms.Form):
    room = RoomChoiceField(label=_("Room"), queryset=CounselingRoom.objects.none())
    counselor = UserChoiceField(label=_("Counselor on duty"), queryset=User.objects.none())
    day = forms.DateField(label=_("Date"), widget=IsoDateInput())
    starts = forms.TimeField(label=pgettext_lazy("time of day", "From"), widget=TIME_WIDGET)
    ends = forms.TimeField(label=pgettext_lazy("time of day", "To"), widget=TIME_WIDGET)

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        rooms = room_selectors.room_list(
            actor=actor, action=room_selectors.Action.MANAGE_ROOMS
        ).filter(is_active=True)
        room_field = cast(forms.ModelChoiceField, self.fields["room"])
        room_field.queryset = rooms
        # Any active counselor of a unit the actor keeps; the service checks the room's unit.
        users = User.objects.none()
        for unit in room_selectors.room_units(actor=actor):
            users = users | room_selectors.counselors_for(unit)
        counselor_field = cast(forms.ModelChoiceField, self.fields["counselor"])
        counselor_field.queryset = users.distinct().order_by("display_name", "id")

    def span(self) -> tuple[datetime.datetime, datetime.datetime]:
        tz = timezone.get_current_timezone()
        data = self.cleaned_data
        return (
            datetime.datetime.combine(data["day"], data["starts"], tzinfo=tz),
            datetime.datetime.combine(data["day"], data["ends"], tzinfo=tz),
        )


class StudentChoiceForm(forms.Form):
    """Which student to book: by student number within the actor's students."""

    student_number = forms.CharField(label=_("Student number"), max_length=40)

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.student: Student | None = None

    def clean_student_number(self) -> str:
        number = self.cleaned_data["student_number"].strip()
        student = (
            scope.scoped(self.actor, Student)
            .filter(student_number=number)
            .select_related("school", "klass")
            .first()
        )
        if student is None:
            raise forms.ValidationError(_("No student of yours has this number."))
        self.student = student
        return number


class BookForm(forms.Form):
    slot = forms.CharField(widget=forms.HiddenInput)
    topic = forms.CharField(
        label=_("Reason for the appointment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean_slot(self) -> tuple[int, datetime.datetime]:
        raw = self.cleaned_data["slot"]
        shift_id, _sep, at = raw.partition("|")
        when = parse_datetime(at)
        if not shift_id.isdigit() or when is None:
            raise forms.ValidationError(_("Choose a slot."))
        return int(shift_id), when


class TransitionForm(forms.Form):
    status = forms.ChoiceField(choices=AppointmentStatus.choices)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=2000)


class SessionForm(forms.Form):
    held_on = forms.DateField(label=_("Date"), widget=IsoDateInput())
    duration_minutes = forms.IntegerField(label=_("Duration (minutes)"), min_value=1, max_value=600)
    theme = forms.CharField(label=_("Theme"), max_length=500)
    summary = forms.CharField(label=_("Summary"), widget=forms.Textarea(attrs={"rows": 5}))
    plan = forms.CharField(
        label=_("Plan"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    risk_observed = forms.ChoiceField(
        label=_("Risk observed"),
        choices=[("", _("None observed")), *RiskLevel.choices],
        required=False,
    )
    propose_risk = forms.BooleanField(
        label=_("Propose this level to the crisis registry"),
        required=False,
        help_text=_(
            "The psychology teacher's comprehensive evaluation confirms or dismisses it; "
            "nothing said in the session goes with it."
        ),
    )


class ShareForm(forms.Form):
    recipient = UserChoiceField(label=_("Share with"), queryset=User.objects.none())

    def __init__(self, *args: Any, school: OrgUnit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from counseling.sessions.services import SHARE_ROLES
        from mhcare.accounts.models import RoleAssignment
        from mhcare.orgs.models import ancestor_paths

        ids = RoleAssignment.objects.active().filter(
            role__in=SHARE_ROLES, org_unit__path__in=ancestor_paths(school.path)
        )
        recipient_field = cast(forms.ModelChoiceField, self.fields["recipient"])
        recipient_field.queryset = User.objects.filter(
            is_active=True, pk__in=ids.values("user_id")
        ).order_by("display_name", "id")
