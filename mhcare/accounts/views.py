"""Login, logout and password change. Lockout (django-axes), session rotation (Django's ``login``),
timeouts and ``Cache-Control`` (``middleware.py``) and audit events (``signals.py``) happen around
these views, not in them."""

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordChangeForm
from django.core.validators import MaxValueValidator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from mhcare.accounts import policy, tokens
from mhcare.accounts.forms import ChangePasswordForm, LoginForm
from mhcare.accounts.middleware import SESSION_TIMED_OUT_KEY
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record

TIMED_OUT_MESSAGE = _("Your session timed out. Please log in again.")
PASSWORD_CHANGED_MESSAGE = _("Your password has been changed.")
TOKEN_REVOKED_MESSAGE = _("The token was revoked.")


@policy.public
class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    form_class = LoginForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if self.request.session.pop(SESSION_TIMED_OUT_KEY, False):
            context["timed_out_message"] = TIMED_OUT_MESSAGE
        return context


@policy.public
class LogoutView(auth_views.LogoutView):
    """POST only (Django 5), so that a link or an image cannot log anyone out."""

    http_method_names = ["post", "options"]


@policy.any_authenticated
class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    form_class = ChangePasswordForm
    success_url = reverse_lazy("core:home")

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        with transaction.atomic():
            response = super().form_valid(form)
            audit_record(
                actor=self.request.user,
                action=Action.UPDATE,
                obj=form.user,
                detail={"field": "password"},
            )
        messages.success(self.request, PASSWORD_CHANGED_MESSAGE)
        return response


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Name (what uses it)"), max_length=100)
    days = forms.IntegerField(label=_("Valid for (days)"), min_value=1)
    is_read_only = forms.BooleanField(label=_("Read only"), required=False, initial=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        longest = settings.API_TOKEN_MAX_DAYS
        days = self.fields["days"]
        days.initial = longest
        days.max_value = longest  # type: ignore[attr-defined]
        days.validators.append(MaxValueValidator(longest))
        days.widget.attrs["max"] = longest


@policy.any_authenticated
def token_list(request: HttpRequest) -> HttpResponse:
    """The signed-in user's API tokens: make one (its key is shown this once), revoke one."""
    form = TokenForm(request.POST or None)
    new_key = ""
    if request.method == "POST" and form.is_valid():
        _token, new_key = tokens.token_create(
            actor=request.user,
            name=form.cleaned_data["name"],
            is_read_only=form.cleaned_data["is_read_only"],
            days=form.cleaned_data["days"],
        )
        form = TokenForm()
    return render(
        request,
        "accounts/tokens.html",
        {"form": form, "tokens": tokens.token_list(actor=request.user), "new_key": new_key},
    )


@policy.any_authenticated
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(tokens.token_list(actor=request.user), pk=pk)
    tokens.token_revoke(actor=request.user, token=token)
    messages.success(request, TOKEN_REVOKED_MESSAGE)
    return redirect("accounts:tokens")
