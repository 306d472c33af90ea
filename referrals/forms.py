from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from mhcare.core.forms import IsoDateInput
from mhcare.orgs.models import OrgUnit
from referrals.models import ConsentWay, Institution, InstitutionLevel, ReferralState, Urgency


class ReferralFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("All")), ("active", _("In progress")), *ReferralState.choices],
    )
    after = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class ReferralCreateForm(forms.Form):
    institution = forms.ModelChoiceField(
        label=_("Institution"), queryset=Institution.objects.none()
    )
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices)
    reason = forms.CharField(
        label=_("Reason for the referral"), widget=forms.Textarea(attrs={"rows": 3})
    )
    observations = forms.CharField(
        label=_("What the school observed"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Behaviour, mood, events and what was done — not a diagnosis: only the institution "
            "diagnoses (Mental Health Law art. 23)."
        ),
    )

    def __init__(self, *args: Any, institutions: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["institution"]).queryset = institutions


class ConsentForm(forms.Form):
    guardian = forms.CharField(label=_("Guardian who gave consent"), max_length=100)
    way = forms.ChoiceField(label=_("How"), choices=ConsentWay.choices)
    at = forms.DateTimeField(
        label=_("When"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Leave empty for now."),
    )
    scan = forms.FileField(label=_("Scan of the signed form (optional)"), required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class FeedbackForm(forms.Form):
    assessment_summary = forms.CharField(
        label=_("Assessment summary"), widget=forms.Textarea(attrs={"rows": 4})
    )
    diagnosis = forms.CharField(
        label=_("Diagnosis"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    recommendations = forms.CharField(
        label=_("Recommendations"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    return_advice = forms.CharField(
        label=_("Return-to-school advice"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    return_cleared = forms.BooleanField(label=_("Cleared to return to school"), required=False)


class ReturnForm(forms.Form):
    certificate_note = forms.CharField(
        label=_("Guardian's medical certificate"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Needed when the institution has not cleared the return: issuer and date."),
    )


class ReturnPlanForm(forms.Form):
    plan = forms.CharField(
        label=_("Return plan"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Adjustments, who follows the student, the rhythm of follow-ups."),
    )


class InstitutionForm(forms.ModelForm):
    class Meta:
        model = Institution
        fields = [
            "level",
            "departments",
            "contact_name",
            "contact_phone",
            "address",
            "is_accepting",
            "agreement_since",
        ]
        widgets = {"agreement_since": IsoDateInput()}


class InstitutionCreateForm(InstitutionForm):
    unit: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Institution (org unit)"), queryset=OrgUnit.objects.none()
    )

    class Meta(InstitutionForm.Meta):
        fields = ["unit", *InstitutionForm.Meta.fields]

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["unit"]).queryset = units
        self.fields["level"].initial = InstitutionLevel.SPECIALIZED
