from typing import Any, cast

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    """The standard form, with labels and autocomplete hints for the login card."""

    username = forms.CharField(
        label=_("User name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class ChangePasswordForm(PasswordChangeForm):
    pass


class OtpCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autofocus": True, "autocomplete": "one-time-code", "inputmode": "text"}
        ),
    )


class BreakGlassForm(forms.Form):
    query = forms.CharField(label=_("Case number or national student number"), max_length=64)
    reason = forms.CharField(
        label=_("The emergency (why you must open this case now)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
    )


# --- sod: separation of duties (issue 13) ---


class GrantDecisionForm(forms.Form):
    """Approve or reject the ticked requests (an import's batch in one go); a rejection says why.
    ``choices`` are the requests the approver may decide on this page."""

    APPROVE, REJECT = "approve", "reject"

    ids = forms.TypedMultipleChoiceField(
        label=_("Requests"),
        coerce=int,
        error_messages={"required": _("Tick at least one request.")},
    )
    decision = forms.ChoiceField(choices=[(APPROVE, _("Approve")), (REJECT, _("Reject"))])
    reason = forms.CharField(
        label=_("Reason for rejection"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, choices: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        ids = cast(forms.TypedMultipleChoiceField, self.fields["ids"])
        ids.choices = [(pk, str(pk)) for pk in choices]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("decision") == self.REJECT and not cleaned.get("reason", "").strip():
            self.add_error("reason", _("Give the reason for the rejection."))
        return cleaned
