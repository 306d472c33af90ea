"""Login, logout and password change. Lockout (django-axes), session rotation (Django's ``login``),
timeouts and ``Cache-Control`` (``middleware.py``) and audit events (``signals.py``) happen around
these views, not in them."""

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordChangeForm
from django.db import transaction
from django.http import HttpResponse
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from mhcare.accounts import policy
from mhcare.accounts.forms import ChangePasswordForm, LoginForm
from mhcare.accounts.middleware import SESSION_TIMED_OUT_KEY
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record

TIMED_OUT_MESSAGE = _("Your session timed out. Please log in again.")
PASSWORD_CHANGED_MESSAGE = _("Your password has been changed.")


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
