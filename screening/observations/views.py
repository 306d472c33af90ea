"""Observation pages. Access: a role that neither reports nor reviews gets 403 before any lookup;
a student of another class, or an observation of another school, is 404 like a missing one."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from mhcare.accounts import policy
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record
from mhcare.core.forms import add_service_errors
from mhcare.core.paging import pager_links
from screening.observations import selectors, services
from screening.observations.forms import ObservationReportForm, ObservationReviewForm

PAGE_SIZE = 50


def _after(request: HttpRequest) -> int | None:
    try:
        return int(request.GET["after"])
    except (KeyError, ValueError):
        return None


@policy.requires(policy.Action.REPORT_OBSERVATION)
@require_http_methods(["GET", "POST"])
def observation_report(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """A teacher reports a concern about a student of her class (``pk`` preselects the student)."""
    selectors.require_reporter(request.user)
    students = selectors.reportable_students(actor=request.user)
    initial: dict[str, Any] = {}
    if pk is not None:
        initial["student"] = selectors.reportable_student_get(actor=request.user, pk=pk)
    form = ObservationReportForm(request.POST or None, students=students, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.observation_report(
                actor=request.user,
                student=data["student"],
                category=data["category"],
                description=data["description"],
                observed_on=data["observed_on"],
                on_behalf_of_peer=data["on_behalf_of_peer"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _(
                    "Thank you. Your observation was received; the psychology teacher will "
                    "review it."
                ),
            )
            return redirect("screening:observation_mine")
    return render(
        request,
        "screening/observations/report.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


@policy.requires(policy.Action.REPORT_OBSERVATION)
@require_GET
def observation_mine(request: HttpRequest) -> HttpResponse:
    """The reporter's own observations: status only."""
    after = _after(request)
    page = selectors.reported_list(actor=request.user, after=after, page_size=PAGE_SIZE)
    return render(
        request,
        "screening/observations/mine.html",
        {"page": page, **pager_links(request, after=after, next_after=page.next_after)},
    )


@policy.requires(policy.Action.REVIEW_OBSERVATION)
@require_GET
def observation_queue(request: HttpRequest) -> HttpResponse:
    """The psychology teacher's review queue: her school's received observations, oldest first."""
    after = _after(request)
    page = selectors.observation_queue(actor=request.user, after=after, page_size=PAGE_SIZE)
    return render(
        request,
        "screening/observations/queue.html",
        {"page": page, **pager_links(request, after=after, next_after=page.next_after)},
    )


@policy.requires(policy.Action.REVIEW_OBSERVATION)
@require_http_methods(["GET", "POST"])
@transaction.atomic
def observation_review(request: HttpRequest, pk: int) -> HttpResponse:
    """Open one observation (audited as a VIEW), write the review note, optionally propose a
    level, mark it reviewed."""
    observation = selectors.observation_get(actor=request.user, pk=pk)
    if request.method == "GET":
        audit_record(
            actor=request.user,
            action=Action.VIEW,
            obj=observation,
            student=observation.student,
        )
    initial = {"level": services.default_level(observation.category)}
    form = ObservationReviewForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                services.observation_review(
                    actor=request.user,
                    observation=observation,
                    review_note=form.cleaned_data["review_note"],
                    level=form.cleaned_data["level"],
                )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Observation reviewed."))
            return redirect("screening:observation_queue")
    return render(
        request,
        "screening/observations/review.html",
        {"observation": observation, "form": form},
        status=400 if request.method == "POST" else 200,
    )
