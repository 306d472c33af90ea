"""Forms of the guidance pages; errors show next to their field and nothing typed is lost."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from counseling.guidance.selectors import WatchFilters
from counseling.guidance.services import (
    PEER_HELPER_REQUIRED,
    REASON_REQUIRED,
    SUMMARY_REQUIRED,
    eligible_teachers,
)
from counseling.models import GuidanceKind
from mhcare.accounts import policy
from mhcare.core.forms import IsoDateInput
from mhcare.orgs.models import Disadvantage, Student

NOBODY = "0"


class WatchFilterForm(forms.Form):
    flag = forms.ChoiceField(
        label=_("Flag"), required=False, choices=[("", _("All flags")), *Disadvantage.choices]
    )
    responsible = forms.ChoiceField(label=_("Responsible teacher"), required=False)
    quiet_days = forms.IntegerField(
        label=_("No guidance in (days)"), required=False, min_value=1, max_value=3650
    )
    after = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, teachers: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["responsible"]).choices = [
            ("", _("Anyone")),
            (NOBODY, _("Nobody yet")),
            *((str(pk), name) for pk, name in teachers),
        ]

    def filters(self) -> WatchFilters:
        data = self.cleaned_data
        responsible = data.get("responsible")
        return WatchFilters(
            flag=data.get("flag") or "",
            responsible=int(responsible) if responsible not in (None, "") else None,
            quiet_days=data.get("quiet_days"),
        )


class FlagsForm(forms.Form):
    flags = forms.MultipleChoiceField(
        label=_("处境不利 flags"),
        choices=Disadvantage.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    reason = forms.CharField(
        label=_("Reason for the change"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": REASON_REQUIRED},
    )


class AssignForm(forms.Form):
    teacher: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Responsible teacher"), queryset=None
    )

    def __init__(self, *args: Any, student: Student, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["teacher"]).queryset = eligible_teachers(student)


class RecordForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=GuidanceKind.choices)
    occurred_on = forms.DateField(label=_("Date"), widget=IsoDateInput())
    summary = forms.CharField(
        label=_("What was discussed"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": SUMMARY_REQUIRED},
    )
    peer_helper = forms.CharField(
        label=_("Peer helper"),
        max_length=200,
        required=False,
        help_text=_("For peer support: the classmate who helps, and how."),
    )
    next_step = forms.CharField(
        label=_("Next step"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("occurred_on", timezone.localdate())
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == GuidanceKind.PEER and not (data.get("peer_helper") or "").strip():
            self.add_error("peer_helper", PEER_HELPER_REQUIRED)
        return data


def responsible_choices(actor: Any) -> list[tuple[int, str]]:
    """Teachers responsible for students in the actor's guidance scope (filter choices)."""
    from counseling.models import GuidanceResponsibility
    from mhcare.accounts import scope

    rows = (
        policy.narrow(
            actor,
            policy.Action.VIEW_GUIDANCE,
            scope.scoped(actor, GuidanceResponsibility),
            class_field="student__klass",
        )
        .values_list("teacher_id", "teacher__display_name", "teacher__username")
        .distinct()
        .order_by("teacher__display_name", "teacher_id")
    )
    return [(pk, display or username) for pk, display, username in rows[:200]]
