"""Supervision pages (notice §9). The supervision page lists the sessions the user led (with their
supervisees) or attended; a session is read only by its supervisor and supervisees (404 for anyone
else); stations are listed to supervisors, county center staff and officials."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from counseling.supervision import selectors, services
from counseling.supervision.forms import NO_NAMES_WARNING, ProfileForm, SessionForm, StationForm
from mhcare.accounts import policy
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record
from mhcare.core.forms import add_service_errors


def _saved(form: Any, write: Any) -> Any:
    if not form.is_valid():
        return None
    try:
        with transaction.atomic():
            return write()
    except ValidationError as exc:
        add_service_errors(form, exc)
        return None


@policy.any_authenticated
@require_GET
def supervision_home(request: HttpRequest) -> HttpResponse:
    """A supervisor's sessions and supervisees; anyone's sessions attended as a supervisee."""
    actor = request.user
    is_supervisor = policy.anywhere(actor, policy.Action.WRITE_SUPERVISION)
    return render(
        request,
        "counseling/supervision/home.html",
        {
            "is_supervisor": is_supervisor,
            "led": selectors.sessions_led(actor=actor) if is_supervisor else [],
            "supervisees": selectors.my_supervisees(actor=actor) if is_supervisor else [],
            "attended": selectors.sessions_attended(actor=actor),
            "profile": selectors.profile_of(actor) if is_supervisor else None,
        },
    )


@policy.requires(policy.Action.WRITE_SUPERVISION)
@require_http_methods(["GET", "POST"])
def session_new(request: HttpRequest) -> HttpResponse:
    form = SessionForm(request.POST or None, actor=request.user)
    if request.method == "POST":
        session = _saved(
            form,
            lambda: services.supervision_session_record(actor=request.user, **form.cleaned_data),
        )
        if session is not None:
            messages.success(request, _("Supervision session recorded."))
            return redirect("counseling:supervision_session", pk=session.pk)
    return render(
        request,
        "counseling/supervision/session_form.html",
        {"form": form, "warning": NO_NAMES_WARNING},
        status=400 if request.method == "POST" else 200,
    )


@policy.any_authenticated
@require_GET
@transaction.atomic
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    session = selectors.session_get(actor=request.user, pk=pk)
    audit_record(actor=request.user, action=Action.VIEW, obj=session)
    return render(request, "counseling/supervision/session.html", {"session": session})


@policy.requires(policy.Action.VIEW_SUPERVISION_STATIONS)
@require_http_methods(["GET", "POST"])
def stations(request: HttpRequest) -> HttpResponse:
    actor = request.user
    may_manage = policy.anywhere(actor, policy.Action.MANAGE_SUPERVISION_STATIONS)
    form = StationForm(request.POST or None, actor=actor) if may_manage else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        station = _saved(form, lambda: services.station_create(actor=actor, **form.cleaned_data))
        if station is not None:
            messages.success(request, _("Station saved."))
            return redirect("counseling:supervision_stations")
    return render(
        request,
        "counseling/supervision/stations.html",
        {
            "stations": list(selectors.station_queryset(actor=actor)),
            "supervisors": selectors.supervisor_list(actor=actor),
            "form": form,
        },
        status=400 if request.method == "POST" else 200,
    )


@policy.requires(policy.Action.WRITE_SUPERVISION)
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    current = selectors.profile_of(request.user)
    initial = (
        {
            "qualifications": current.qualifications,
            "certificate": current.certificate,
            "trained_on": current.trained_on,
        }
        if current
        else {}
    )
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST":
        saved = _saved(
            form,
            lambda: services.supervisor_profile_save(actor=request.user, **form.cleaned_data),
        )
        if saved is not None:
            messages.success(request, _("Qualifications saved."))
            return redirect("counseling:supervision_home")
    return render(
        request,
        "counseling/supervision/profile.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )
