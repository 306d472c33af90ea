"""Appointment pages: the list (and the counselor's day), booking a student into a free duty
slot, one appointment and its status changes. An appointment outside the actor's counseling scope
(and not booked by them for their class) is 404 like a missing one; opening one is audited."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from counseling.appointments import selectors, services
from counseling.forms import BookForm, StudentChoiceForm, TransitionForm
from counseling.models import AppointmentStatus, DutyShift
from mhcare.accounts import policy
from mhcare.accounts.policy import Action
from mhcare.audit.models import Action as AuditAction
from mhcare.audit.services import audit_record
from mhcare.core.forms import add_service_errors

BOOK_DAYS = 7
LIST_LIMIT = 200


def _day(raw: str | None) -> datetime.date | None:
    try:
        return parse_date(raw or "")
    except ValueError:
        return None


@policy.requires(Action.BOOK_APPOINTMENT, Action.COUNSEL)
@require_GET
def appointment_list(request: HttpRequest) -> HttpResponse:
    """Upcoming appointments the actor may see; with ``day`` one day, with ``mine`` only the
    actor's own as counselor (the counselor's day view)."""
    day = _day(request.GET.get("day"))
    mine = request.GET.get("mine") == "1"
    filters = selectors.AppointmentFilters(day=day, mine=mine)
    rows = selectors.appointment_list(actor=request.user, filters=filters)
    if day is None:
        start = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
        rows = rows.filter(starts_at__gte=start)
    with transaction.atomic():
        appointments = list(rows[:LIST_LIMIT])
        audit_record(
            actor=request.user,
            action=AuditAction.VIEW,
            object_type="counseling.appointment",
            detail={"ids": [a.pk for a in appointments]},
        )
    return render(
        request,
        "counseling/appointments/list.html",
        {
            "appointments": appointments,
            "day": day,
            "mine": mine,
            "today": timezone.localdate(),
            "may_book": policy.anywhere(request.user, Action.BOOK_APPOINTMENT),
            "is_counselor": policy.anywhere(request.user, Action.COUNSEL),
        },
    )


@policy.requires(Action.BOOK_APPOINTMENT)
@require_http_methods(["GET", "POST"])
def appointment_book(request: HttpRequest) -> HttpResponse:
    """Find the student (by number, within the actor's students), then pick a free slot of the
    coming week in the rooms that serve the student."""
    choose = StudentChoiceForm(request.GET or None, actor=request.user)
    student = choose.student if choose.is_bound and choose.is_valid() else None
    if student is not None and not services.may_book(request.user, student):
        choose.add_error("student_number", services.NOT_BOOKER)
        student = None
    form = BookForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if student is None:
            raise Http404
        status = 400
        if form.is_valid():
            shift_id, starts_at = form.cleaned_data["slot"]
            shift = (
                DutyShift.objects.filter(pk=shift_id)
                .select_related("room__unit", "counselor")
                .first()
            )
            if shift is None:
                form.add_error(None, services.OUTSIDE_SHIFT)
            else:
                try:
                    appointment = services.appointment_book(
                        actor=request.user,
                        student=student,
                        shift=shift,
                        starts_at=starts_at,
                        topic=form.cleaned_data["topic"],
                    )
                except ValidationError as exc:
                    add_service_errors(form, exc)
                except PermissionDenied as exc:
                    raise Http404 from exc
                else:
                    messages.success(request, _("Appointment requested. The counselor is told."))
                    return redirect("counseling:appointment_detail", pk=appointment.pk)
    slots: list[selectors.Slot] = (
        selectors.free_slots(student=student, start=timezone.localdate(), days=BOOK_DAYS)
        if student is not None
        else []
    )
    return render(
        request,
        "counseling/appointments/book.html",
        {"choose": choose, "student": student, "slots": slots, "form": form},
        status=status,
    )


def _detail(
    request: HttpRequest, pk: int, *, form: TransitionForm | None = None, status: int = 200
) -> HttpResponse:
    appointment = selectors.appointment_get(actor=request.user, pk=pk)
    with transaction.atomic():
        audit_record(
            actor=request.user,
            action=AuditAction.VIEW,
            obj=appointment,
            student=appointment.student_id,
        )
    may_handle = services.may_handle(request.user, appointment)
    transitions = services.TRANSITIONS.get(appointment.status, frozenset())
    return render(
        request,
        "counseling/appointments/detail.html",
        {
            "appointment": appointment,
            "may_handle": may_handle,
            "may_read_topic": services.may_read_topic(request.user, appointment),
            "may_cancel": services.may_cancel(request.user, appointment)
            and AppointmentStatus.CANCELLED in transitions,
            "may_confirm": may_handle and AppointmentStatus.CONFIRMED in transitions,
            "may_close": may_handle
            and AppointmentStatus.COMPLETED in transitions
            and appointment.starts_at <= timezone.now(),
            "may_record": may_handle
            and appointment.status in (AppointmentStatus.CONFIRMED, AppointmentStatus.COMPLETED)
            and not hasattr(appointment, "session"),
            "form": form,
        },
        status=status,
    )


@policy.requires(Action.BOOK_APPOINTMENT, Action.COUNSEL)
@require_GET
def appointment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, pk)


@policy.requires(Action.BOOK_APPOINTMENT, Action.COUNSEL)
@require_POST
def appointment_transition(request: HttpRequest, pk: int) -> HttpResponse:
    appointment = selectors.appointment_get(actor=request.user, pk=pk)
    form = TransitionForm(request.POST)
    if form.is_valid():
        try:
            services.appointment_transition(
                actor=request.user,
                appointment=appointment,
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Appointment updated."))
            return redirect("counseling:appointment_detail", pk=pk)
    return _detail(request, pk, form=form, status=400)
