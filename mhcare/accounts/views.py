"""Login, logout and password change. Lockout (django-axes), session rotation (Django's ``login``),
timeouts and ``Cache-Control`` (``middleware.py``) and audit events (``signals.py``) happen around
these views, not in them."""

from datetime import timedelta
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
from django.urls import reverse, reverse_lazy
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from mhcare.accounts import breakglass, policy, tokens, twofactor
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
        context["sso_enabled"] = settings.OIDC_ENABLED
        return context


@policy.public
class LogoutView(auth_views.LogoutView):
    """POST only (Django 5), so that a link or an image cannot log anyone out."""

    http_method_names = ["post", "options"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        from mhcare.accounts import sso

        provider_url = sso.end_session_url(request)  # before the session ends
        response = super().post(request, *args, **kwargs)
        if not provider_url:
            return response
        # A page that moves on by itself rather than a redirect: the CSP's form-action 'self' of
        # the page holding the logout button would block a redirect to the provider's origin.
        return render(request, "accounts/sso_logout.html", {"provider_url": provider_url})


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


# --- two-factor, reset links, break-glass (issue 13) -------------------------------------------

TWO_FACTOR_ON_MESSAGE = _("Two-factor authentication is on.")
TWO_FACTOR_OFF_MESSAGE = _("Two-factor authentication is off.")
BREAK_GLASS_VISIBLE_MESSAGE = _("This case is already in your scope.")
BREAK_GLASS_GRANTED_MESSAGE = _(
    "Emergency access granted until %(until)s. It is audited and the school's leader is told."
)


def _next_url(request: HttpRequest) -> str:
    from django.utils.http import url_has_allowed_host_and_scheme

    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return reverse("core:home")


@policy.any_authenticated
def two_factor(request: HttpRequest) -> HttpResponse:
    """The account's second factor: enrol an authenticator app (QR code and otpauth URI, confirmed
    by a first code; the recovery codes are shown this once), renew the recovery codes, or turn it
    off when the role does not need it."""
    from django.core.exceptions import ValidationError

    from mhcare.accounts.forms import OtpCodeForm

    user: Any = request.user
    device = twofactor.confirmed_device(user)
    required = twofactor.two_factor_required(user)
    codes: list[str] = []
    form = OtpCodeForm()
    if device is not None:
        if not user.is_verified():  # the codes and the switch only behind the second factor
            return redirect("accounts:two_factor_verify")
        if request.method == "POST":
            if request.POST.get("action") == "codes":
                codes = twofactor.recovery_codes_create(user=user)
            elif request.POST.get("action") == "disable":
                try:
                    twofactor.second_factor_disable(request=request)
                except ValidationError as exc:
                    messages.error(request, exc.messages[0])
                else:
                    messages.success(request, TWO_FACTOR_OFF_MESSAGE)
                return redirect("accounts:two_factor")
        return render(
            request,
            "accounts/two_factor.html",
            {
                "device": device,
                "required": required,
                "codes": codes,
                "codes_left": twofactor.recovery_codes_left(user),
            },
        )
    pending = twofactor.pending_device(user=user)
    status = 200
    if request.method == "POST":
        form = OtpCodeForm(request.POST)
        if form.is_valid():
            try:
                codes = twofactor.device_confirm(
                    request=request, device=pending, token=form.cleaned_data["code"]
                )
            except ValidationError as exc:
                form.add_error("code", exc)
                status = 400
            else:
                messages.success(request, TWO_FACTOR_ON_MESSAGE)
                return render(
                    request,
                    "accounts/two_factor.html",
                    {
                        "device": pending,
                        "required": required,
                        "codes": codes,
                        "codes_left": len(codes),
                        "next": _next_url(request),
                    },
                )
        else:
            status = 400
    uri = twofactor.otpauth_uri(pending)
    return render(
        request,
        "accounts/two_factor_enrol.html",
        {
            "form": form,
            "uri": uri,
            "secret": pending.bin_key and _base32(pending.bin_key),
            "qr_svg": mark_safe(twofactor.qr_svg(uri)),  # noqa: S308 - segno's own SVG markup
            "required": required,
            "next": request.GET.get("next", ""),
        },
        status=status,
    )


def _base32(key: bytes) -> str:
    from base64 import b32encode

    return b32encode(key).decode().rstrip("=")


@policy.any_authenticated
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """The second step of the login: the app's current code, or one recovery code."""
    from django.core.exceptions import ValidationError

    from mhcare.accounts.forms import OtpCodeForm

    if request.user.is_verified():  # type: ignore[union-attr]  # django-otp's OTPMiddleware
        return redirect(_next_url(request))
    if twofactor.confirmed_device(request.user) is None:
        return redirect("accounts:two_factor")
    form = OtpCodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                twofactor.second_factor_verify(request=request, token=form.cleaned_data["code"])
            except ValidationError as exc:
                form.add_error("code", exc)
            else:
                return redirect(_next_url(request))
        status = 400
    return render(
        request,
        "accounts/two_factor_verify.html",
        {"form": form, "next": request.GET.get("next") or request.POST.get("next", "")},
        status=status,
    )


@policy.public
class ResetConfirmView(auth_views.PasswordResetConfirmView):
    """The page of a reset link (Django's view and token); the new password is audited."""

    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form: Any) -> HttpResponse:
        with transaction.atomic():
            response = super().form_valid(form)
            audit_record(
                actor=form.user,
                action=Action.UPDATE,
                obj=form.user,
                detail={"field": "password", "via": "reset_link"},
            )
        return response


@policy.public
class ResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


@policy.requires(policy.Action.BREAK_GLASS)
def emergency_access(request: HttpRequest) -> HttpResponse:
    """Break the glass: open a crisis case outside one's scope by stating the emergency."""
    from django.core.exceptions import ValidationError
    from django.utils import timezone

    from mhcare.accounts.forms import BreakGlassForm

    form = BreakGlassForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                outcome, obj = breakglass.break_glass_open(
                    actor=request.user,
                    query=form.cleaned_data["query"],
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                if outcome == breakglass.ALREADY_VISIBLE:
                    messages.info(request, BREAK_GLASS_VISIBLE_MESSAGE)
                else:
                    until = timezone.localtime(
                        timezone.now() + timedelta(hours=breakglass.grant_hours())
                    )
                    messages.warning(
                        request,
                        BREAK_GLASS_GRANTED_MESSAGE % {"until": until.strftime("%Y-%m-%d %H:%M")},
                    )
                url = getattr(obj, "get_absolute_url", None)
                return redirect(url() if url else "accounts:emergency_access")
        status = 400
    return render(
        request,
        "accounts/emergency_access.html",
        {
            "form": form,
            "grants": [
                (grant, breakglass.grant_url(grant) if grant.is_live else "")
                for grant in breakglass.grant_list(actor=request.user)
            ],
            "hours": breakglass.grant_hours(),
        },
        status=status,
    )


# --- oidc: single sign-on with the provincial identity provider (issue 13) ----------------------


@policy.public
def sso_login(request: HttpRequest) -> HttpResponse:
    """Starts a single sign-on: to the provider's login page."""
    from mhcare.accounts import sso

    if request.user.is_authenticated:
        return redirect(_next_url(request))
    try:
        return sso.authorize_redirect(request)
    except sso.SsoRefusedError as refused:
        messages.error(request, refused.message)
        return redirect("accounts:login")


@policy.public
def sso_callback(request: HttpRequest) -> HttpResponse:
    """The provider's redirect back with the code: logs the linked account in, or goes back to
    the login page saying why not (in the user's language)."""
    from mhcare.accounts import sso

    try:
        goto = sso.login_complete(request)
    except sso.SsoRefusedError as refused:
        messages.error(request, refused.message)
        return redirect("accounts:login")
    return redirect(goto)
