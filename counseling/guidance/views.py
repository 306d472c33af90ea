"""Guidance pages (notice §3): the watch list and one student's guidance page. A student outside
the actor's guidance scope is 404 like a missing one; opening a student's page is audited."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from counseling.guidance import selectors, services
from counseling.guidance.forms import (
    AssignForm,
    FlagsForm,
    RecordForm,
    WatchFilterForm,
    responsible_choices,
)
from mhcare.accounts import policy
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record
from mhcare.core.forms import add_service_errors
from mhcare.core.paging import pager_links
from mhcare.orgs.models import Student

PAGE_SIZE = 50


@policy.requires(policy.Action.VIEW_GUIDANCE)
@require_GET
@transaction.atomic
def watch_list(request: HttpRequest) -> HttpResponse:
    """Students with 处境不利 flags in the actor's scope, filterable by flag, responsible teacher
    and "no guidance in N days"."""
    actor = request.user
    form = WatchFilterForm(request.GET or None, teachers=responsible_choices(actor))
    if form.is_bound and form.is_valid():
        filters, after = form.filters(), form.cleaned_data.get("after")
    else:
        filters, after = selectors.WatchFilters(), None
    page = selectors.watch_list(actor=actor, filters=filters, after=after, page_size=PAGE_SIZE)
    audit_record(
        actor=actor,
        action=Action.VIEW,
        object_type="counseling.watchlist",
        detail={"student_ids": [s.pk for s in page.rows]},
    )
    return render(
        request,
        "counseling/guidance/watch_list.html",
        {
            "form": form,
            "page": page,
            **pager_links(request, after=after, next_after=page.next_after),
        },
    )


def _student_page(
    request: HttpRequest,
    student: Student,
    *,
    flags_form: FlagsForm | None = None,
    assign_form: AssignForm | None = None,
    record_form: RecordForm | None = None,
    status: int = 200,
) -> HttpResponse:
    actor = request.user
    may_write = services.may_write_guidance(actor, student)
    may_add = may_write or services.is_responsible(actor, student)
    audit_record(
        actor=actor, action=Action.VIEW, obj=student, student=student, detail={"page": "guidance"}
    )
    return render(
        request,
        "counseling/guidance/student.html",
        {
            "student": student,
            "responsibility": selectors.student_responsibility(student=student),
            "records": selectors.student_records(actor=actor, student=student),
            "flag_changes": selectors.student_flag_changes(actor=actor, student=student),
            "may_write": may_write,
            "flags_form": (flags_form or FlagsForm(initial={"flags": student.disadvantages}))
            if may_write
            else None,
            "assign_form": (assign_form or AssignForm(student=student)) if may_write else None,
            "record_form": (record_form or RecordForm()) if may_add else None,
        },
        status=status,
    )


@policy.any_authenticated
@require_GET
@transaction.atomic
def guidance_student(request: HttpRequest, pk: int) -> HttpResponse:
    student = selectors.guidance_student_get(actor=request.user, pk=pk)
    return _student_page(request, student)


def _saved(form: Any, write: Any) -> bool:
    if not form.is_valid():
        return False
    try:
        with transaction.atomic():
            write()
    except ValidationError as exc:
        add_service_errors(form, exc)
        return False
    return True


@policy.requires(policy.Action.WRITE_GUIDANCE)
@require_POST
@transaction.atomic
def guidance_flags(request: HttpRequest, pk: int) -> HttpResponse:
    student = selectors.guidance_student_get(actor=request.user, pk=pk)
    policy.require(request.user, policy.Action.WRITE_GUIDANCE, student)
    form = FlagsForm(request.POST)
    if _saved(
        form,
        lambda: services.guidance_flags_set(
            actor=request.user,
            student=student,
            flags=form.cleaned_data["flags"],
            reason=form.cleaned_data["reason"],
        ),
    ):
        messages.success(request, _("Flags saved."))
        return redirect("counseling:guidance_student", pk=student.pk)
    return _student_page(request, student, flags_form=form, status=400)


@policy.requires(policy.Action.WRITE_GUIDANCE)
@require_POST
@transaction.atomic
def guidance_assign(request: HttpRequest, pk: int) -> HttpResponse:
    student = selectors.guidance_student_get(actor=request.user, pk=pk)
    policy.require(request.user, policy.Action.WRITE_GUIDANCE, student)
    form = AssignForm(request.POST, student=student)
    if _saved(
        form,
        lambda: services.guidance_assign(
            actor=request.user, student=student, teacher=form.cleaned_data["teacher"]
        ),
    ):
        messages.success(request, _("Responsible teacher saved."))
        return redirect("counseling:guidance_student", pk=student.pk)
    return _student_page(request, student, assign_form=form, status=400)


@policy.any_authenticated
@require_POST
@transaction.atomic
def guidance_record_add(request: HttpRequest, pk: int) -> HttpResponse:
    student = selectors.guidance_student_get(actor=request.user, pk=pk)
    if not services.may_add_record(request.user, student):
        raise PermissionDenied
    form = RecordForm(request.POST)
    if _saved(
        form,
        lambda: services.guidance_record_add(
            actor=request.user, student=student, **form.cleaned_data
        ),
    ):
        messages.success(request, _("Guidance record saved."))
        return redirect("counseling:guidance_student", pk=student.pk)
    return _student_page(request, student, record_form=form, status=400)
