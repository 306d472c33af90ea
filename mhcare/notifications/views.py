from urllib.parse import urlsplit

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mhcare.accounts import policy
from mhcare.notifications import selectors, services
from mhcare.notifications.models import EmailMode

PAGE_SIZE = 30


def is_local_path(url: str) -> bool:
    """Only a path on this site (``/crisis/cases/3/``): never another host, scheme or ``//``."""
    if not url or not url.startswith("/") or url.startswith("//") or "\\" in url:
        return False
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return False
    return url_has_allowed_host_and_scheme(url, allowed_hosts=None)


@policy.any_authenticated
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.notification_list(actor=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "notifications/inbox.html", {"page": page})


@policy.any_authenticated
@require_GET
def open_notification(request: HttpRequest, pk: int) -> HttpResponse:
    notification = selectors.notification_get(actor=request.user, notification_id=pk)
    services.notification_mark_read(actor=request.user, notification=notification)
    if is_local_path(notification.url):
        return HttpResponseRedirect(notification.url)
    return redirect(reverse("notifications:inbox"))


@policy.any_authenticated
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    services.notification_mark_all_read(actor=request.user)
    return redirect(reverse("notifications:inbox"))


class EmailSettingsForm(forms.Form):
    mode = forms.ChoiceField(
        label=gettext_lazy("E-mail me"),
        choices=EmailMode.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": gettext_lazy("Choose how your messages are e-mailed."),
            "invalid_choice": gettext_lazy("Choose how your messages are e-mailed."),
        },
    )


@policy.any_authenticated
@require_http_methods(["GET", "POST"])
def email_settings(request: HttpRequest) -> HttpResponse:
    """The signed-in user's own choice: each message e-mailed at once, or one daily digest."""
    if request.method == "POST":
        form = EmailSettingsForm(request.POST)
        if form.is_valid():
            services.preference_set(actor=request.user, mode=form.cleaned_data["mode"])
            messages.success(request, _("Your e-mail settings are saved."))
            return redirect(reverse("notifications:settings"))
    else:
        form = EmailSettingsForm(initial={"mode": services.preference_get(user=request.user)})
    return render(
        request,
        "notifications/settings.html",
        {"form": form, "email": getattr(request.user, "email", "")},
    )
