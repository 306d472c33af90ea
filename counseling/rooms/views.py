"""Room and duty pages. Rooms and shifts name no student; they are read in the units where the
actor may see rooms (policy), and kept where the actor may manage them. A room outside the
actor's units is 404 like a missing one."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from counseling.forms import OpeningHoursForm, RoomForm, ShiftForm
from counseling.models import DutyShift, OpeningHours
from counseling.rooms import selectors, services
from mhcare.accounts import policy
from mhcare.accounts.policy import Action
from mhcare.core.forms import add_service_errors


@policy.requires(Action.VIEW_ROOMS)
@require_GET
def room_list(request: HttpRequest) -> HttpResponse:
    rooms = list(selectors.room_list(actor=request.user))
    return render(
        request,
        "counseling/rooms/list.html",
        {"rooms": rooms, "may_create": selectors.room_units(actor=request.user).exists()},
    )


@policy.requires(Action.MANAGE_ROOMS)
@require_http_methods(["GET", "POST"])
def room_create(request: HttpRequest) -> HttpResponse:
    form = RoomForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            room = services.room_create(
                actor=request.user,
                unit=data["unit"],
                name=data["name"],
                place=data["place"],
                standards=data["standards"],
                capacity=data["capacity"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Room saved."))
            return redirect("counseling:room_detail", pk=room.pk)
    return render(
        request,
        "counseling/rooms/form.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


def _detail(
    request: HttpRequest,
    room_pk: int,
    *,
    form: RoomForm | None = None,
    hours_form: OpeningHoursForm | None = None,
    status: int = 200,
) -> HttpResponse:
    room = selectors.room_get(actor=request.user, pk=room_pk)
    may_manage = services.may_manage(request.user, room.unit)
    if may_manage and form is None:
        form = RoomForm(
            actor=request.user,
            room=room,
            initial={
                "name": room.name,
                "place": room.place,
                "standards": room.standards,
                "capacity": room.capacity,
                "is_active": room.is_active,
            },
        )
    return render(
        request,
        "counseling/rooms/detail.html",
        {
            "room": room,
            "may_manage": may_manage,
            "form": form if may_manage else None,
            "hours_form": (hours_form or OpeningHoursForm()) if may_manage else None,
        },
        status=status,
    )


@policy.requires(Action.VIEW_ROOMS)
@require_GET
def room_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, pk)


@policy.requires(Action.MANAGE_ROOMS)
@require_POST
def room_edit(request: HttpRequest, pk: int) -> HttpResponse:
    room = selectors.room_get(actor=request.user, pk=pk, action=Action.MANAGE_ROOMS)
    form = RoomForm(request.POST, actor=request.user, room=room)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.room_update(
                actor=request.user,
                room=room,
                name=data["name"],
                place=data["place"],
                standards=data["standards"],
                capacity=data["capacity"],
                is_active=data["is_active"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Room saved."))
            return redirect("counseling:room_detail", pk=room.pk)
    return _detail(request, pk, form=form, status=400)


@policy.requires(Action.MANAGE_ROOMS)
@require_POST
def hours_add(request: HttpRequest, pk: int) -> HttpResponse:
    room = selectors.room_get(actor=request.user, pk=pk, action=Action.MANAGE_ROOMS)
    form = OpeningHoursForm(request.POST)
    if form.is_valid():
        try:
            services.opening_hours_add(actor=request.user, room=room, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Opening hours added."))
            return redirect("counseling:room_detail", pk=room.pk)
    return _detail(request, pk, hours_form=form, status=400)


@policy.requires(Action.MANAGE_ROOMS)
@require_POST
def hours_remove(request: HttpRequest, pk: int) -> HttpResponse:
    room = selectors.room_get(actor=request.user, pk=pk, action=Action.MANAGE_ROOMS)
    hours_pk = request.POST.get("hours", "")
    if not hours_pk.isdigit():
        raise Http404
    hours = get_object_or_404(OpeningHours, pk=int(hours_pk), room=room)
    services.opening_hours_remove(actor=request.user, hours=hours)
    messages.success(request, _("Opening hours removed."))
    return redirect("counseling:room_detail", pk=room.pk)


def _week(
    request: HttpRequest, *, form: ShiftForm | None = None, status: int = 200
) -> HttpResponse:
    try:
        day = parse_date(request.GET.get("week", "")) or timezone.localdate()
    except ValueError:
        day = timezone.localdate()
    rooms = list(selectors.room_list(actor=request.user))
    room = None
    room_id = request.GET.get("room", "")
    if room_id.isdigit():
        room = next((r for r in rooms if r.pk == int(room_id)), None)
    week = selectors.duty_week(actor=request.user, day=day, room=room)
    may_manage = policy.anywhere(request.user, Action.MANAGE_ROOMS) and bool(
        selectors.room_units(actor=request.user).exists()
    )
    if may_manage and form is None:
        form = ShiftForm(actor=request.user, initial={"day": week.start})
    return render(
        request,
        "counseling/rooms/week.html",
        {
            "week": week,
            "rooms": rooms,
            "room": room,
            "form": form if may_manage else None,
            "today": timezone.localdate(),
        },
        status=status,
    )


@policy.requires(Action.VIEW_ROOMS)
@require_GET
def duty_week(request: HttpRequest) -> HttpResponse:
    """The duty roster of a week (Monday to Sunday), all rooms the actor sees or one."""
    return _week(request)


@policy.requires(Action.MANAGE_ROOMS)
@require_POST
def shift_add(request: HttpRequest) -> HttpResponse:
    form = ShiftForm(request.POST, actor=request.user)
    if form.is_valid():
        starts_at, ends_at = form.span()
        try:
            shift = services.shift_create(
                actor=request.user,
                room=form.cleaned_data["room"],
                counselor=form.cleaned_data["counselor"],
                starts_at=starts_at,
                ends_at=ends_at,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Shift added."))
            day = timezone.localtime(shift.starts_at).date()
            return redirect(f"{reverse('counseling:duty_week')}?week={day.isoformat()}")
    return _week(request, form=form, status=400)


@policy.requires(Action.MANAGE_ROOMS)
@require_POST
def shift_remove(request: HttpRequest, pk: int) -> HttpResponse:
    rooms = selectors.room_list(actor=request.user, action=Action.MANAGE_ROOMS)
    shift = get_object_or_404(DutyShift, pk=pk, room__in=rooms)
    day = timezone.localtime(shift.starts_at).date()
    try:
        services.shift_remove(actor=request.user, shift=shift)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Shift removed."))
    return redirect(f"{reverse('counseling:duty_week')}?week={day.isoformat()}")
