"""Session record pages: the actor's own records (and those shared with them), writing one
(from an appointment or for a student), reading one (audited), sharing one, and the log of
sessions held (date, counselor, duration — never content) for the leader and the county center.
A record the actor may not read is 404 like a missing one, whoever asks."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from counseling.appointments import selectors as appointment_selectors
from counseling.forms import SessionForm, ShareForm, StudentChoiceForm
from counseling.models import Appointment
from counseling.sessions import selectors, services
from mhcare.accounts import policy
from mhcare.accounts.policy import Action
from mhcare.audit.models import Action as AuditAction
from mhcare.audit.services import audit_record
from mhcare.core.forms import add_service_errors
from mhcare.orgs.models import Student

LIST_LIMIT = 200
LOG_LIMIT = 500


@policy.requires(Action.COUNSEL, Action.VIEW_SESSION_LOG)
@require_GET
def session_list(request: HttpRequest) -> HttpResponse:
    archived = request.GET.get("archived") == "1"
    with transaction.atomic():
        rows = list(selectors.session_list(actor=request.user, archived=archived)[:LIST_LIMIT])
        audit_record(
            actor=request.user,
            action=AuditAction.VIEW,
            object_type="counseling.counselingsession",
            detail={"ids": [s.pk for s in rows]},
        )
    return render(
        request,
        "counseling/sessions/list.html",
        {
            "sessions": rows,
            "archived": archived,
            "may_record": policy.anywhere(request.user, Action.COUNSEL),
        },
    )


@policy.requires(Action.COUNSEL)
@require_http_methods(["GET", "POST"])
def session_new(request: HttpRequest) -> HttpResponse:
    """From an appointment (``?appointment=``) or for a student found by number."""
    appointment: Appointment | None = None
    student: Student | None = None
    raw = request.GET.get("appointment", "")
    choose = None
    if raw.isdigit():
        appointment = appointment_selectors.appointment_get(actor=request.user, pk=int(raw))
        student = appointment.student
    else:
        choose = StudentChoiceForm(request.GET or None, actor=request.user)
        student = choose.student if choose.is_bound and choose.is_valid() else None
    initial: dict[str, Any] = {"held_on": timezone.localdate()}
    if appointment is not None:
        initial["held_on"] = timezone.localtime(appointment.starts_at).date()
        initial["duration_minutes"] = int(
            (appointment.ends_at - appointment.starts_at).total_seconds() // 60
        )
    form = SessionForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if student is None:
            raise Http404
        if form.is_valid():
            try:
                session = services.session_record(
                    actor=request.user,
                    student=student,
                    appointment=appointment,
                    **form.cleaned_data,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            except PermissionDenied as exc:
                raise Http404 from exc
            else:
                messages.success(request, _("Session recorded."))
                return redirect("counseling:session_detail", pk=session.pk)
    return render(
        request,
        "counseling/sessions/form.html",
        {"form": form, "choose": choose, "student": student, "appointment": appointment},
        status=400 if request.method == "POST" else 200,
    )


def _detail(
    request: HttpRequest, pk: int, *, share_form: ShareForm | None = None, status: int = 200
) -> HttpResponse:
    session = selectors.session_get(actor=request.user, pk=pk)
    with transaction.atomic():
        audit_record(
            actor=request.user, action=AuditAction.VIEW, obj=session, student=session.student_id
        )
    may_share = services.may_share(request.user, session)
    if may_share and share_form is None:
        share_form = ShareForm(school=session.school)
    return render(
        request,
        "counseling/sessions/detail.html",
        {"session": session, "share_form": share_form if may_share else None},
        status=status,
    )


@policy.requires(Action.COUNSEL, Action.VIEW_SESSION_LOG)
@require_GET
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, pk)


@policy.requires(Action.COUNSEL, Action.VIEW_SESSION_LOG)
@require_POST
def session_share(request: HttpRequest, pk: int) -> HttpResponse:
    session = selectors.session_get(actor=request.user, pk=pk)
    form = ShareForm(request.POST, school=session.school)
    if form.is_valid():
        try:
            services.session_share(
                actor=request.user, session=session, recipient=form.cleaned_data["recipient"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except PermissionDenied as exc:
            raise Http404 from exc
        else:
            messages.success(request, _("Record shared."))
            return redirect("counseling:session_detail", pk=pk)
    return _detail(request, pk, share_form=form, status=400)


@policy.requires(Action.VIEW_SESSION_LOG)
@require_GET
def session_log(request: HttpRequest) -> HttpResponse:
    """That sessions happened: date, counselor, duration, school. Nothing that was said."""
    rows = list(selectors.session_log(actor=request.user)[:LOG_LIMIT])
    return render(request, "counseling/sessions/log.html", {"rows": rows})
