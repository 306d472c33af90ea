"""Referral pages (notice §11). The school side and the institution's staff use the same list and
detail pages; each sees what its scope gives and the actions its role allows. A role that never sees
referrals gets 403 before any lookup; a referral outside the scope (or no longer shared) is 404.
Opening a referral is audited."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crisis.models import Case
from mhcare.accounts import policy, scope
from mhcare.accounts.scope import RecordKind
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record
from mhcare.core.forms import add_service_errors
from mhcare.core.paging import pager_links
from mhcare.orgs.models import Student
from referrals import selectors, services
from referrals.forms import (
    ConsentForm,
    FeedbackForm,
    InstitutionCreateForm,
    InstitutionForm,
    ReasonForm,
    ReferralCreateForm,
    ReferralFilterForm,
    ReturnForm,
    ReturnPlanForm,
)
from referrals.models import Referral, ReferralState
from referrals.providers import TIMELINE_TITLES

PAGE_SIZE = 50
S = ReferralState

# Buttons without fields (or with a reason) on the detail page: action → (label, side).
BUTTONS = {
    "send": (gettext_lazy("Send to the institution"), services.SCHOOL),
    "accept": (gettext_lazy("Accept"), services.INSTITUTION),
    "start_treatment": (gettext_lazy("Start treatment"), services.INSTITUTION),
    "close": (gettext_lazy("Close the referral"), services.SCHOOL),
}


@policy.requires(policy.Action.VIEW_REFERRALS)
@require_GET
def referral_list(request: HttpRequest) -> HttpResponse:
    form = ReferralFilterForm(request.GET or None)
    filters, after = selectors.ReferralFilters(), None
    if form.is_bound and form.is_valid():
        filters = selectors.ReferralFilters(state=form.cleaned_data.get("state") or "")
        after = form.cleaned_data.get("after")
    page = selectors.referral_list(
        actor=request.user, filters=filters, after=after, page_size=PAGE_SIZE
    )
    return render(
        request,
        "referrals/list.html",
        {
            "form": form,
            "page": page,
            "is_institution": bool(services.staff_unit_ids(request.user)),
            **pager_links(request, after=after, next_after=page.next_after),
        },
    )


@policy.requires(policy.Action.MAKE_REFERRAL)
@require_http_methods(["GET", "POST"])
def referral_create(request: HttpRequest) -> HttpResponse:
    """A draft referral of one student (``?student=``), from her case (``?case=``) when given."""
    actor = request.user
    try:
        student_id = int(request.GET.get("student", ""))
    except ValueError as exc:
        raise Http404 from exc
    student = scope.get_scoped_or_404(
        actor, Student.objects.select_related("klass", "school"), pk=student_id
    )
    if not services.may_make(actor, student):
        raise PermissionDenied
    case = None
    if request.GET.get("case"):
        case = scope.get_scoped_or_404(
            actor, Case, kind=RecordKind.CASE, pk=request.GET["case"], student=student
        )
    institutions = selectors.institutions_for_referral(actor=actor, student=student)
    form = ReferralCreateForm(request.POST or None, institutions=institutions)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                referral = services.referral_create(
                    actor=actor, student=student, case=case, **form.cleaned_data
                )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Referral drafted. Record the guardian's consent next."))
            return redirect("referrals:detail", pk=referral.pk)
    return render(
        request,
        "referrals/create.html",
        {"form": form, "student": student, "case": case},
        status=400 if request.method == "POST" else 200,
    )


def _detail(
    request: HttpRequest,
    referral: Referral,
    forms: dict[str, Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    actor = request.user
    forms = forms or {}
    student = selectors.referral_student(actor=actor, referral=referral)
    is_school = services.may_make(actor, referral)
    is_institution = services.may_answer(actor, referral)
    may_override = services.may_override(actor, referral)
    state = referral.state
    buttons = [
        {"action": action, "label": label}
        for action, (label, side) in BUTTONS.items()
        if state in services.TRANSITIONS[action].sources
        and (
            (side == services.SCHOOL and is_school)
            or (side == services.INSTITUTION and is_institution)
        )
    ]
    audit_record(actor=actor, action=Action.VIEW, obj=referral, student=student, detail={})
    return render(
        request,
        "referrals/detail.html",
        {
            "referral": referral,
            "student": student,
            "events": [
                (
                    event,
                    str(TIMELINE_TITLES.get(event.action, event.get_to_state_display()))
                    % {"institution": referral.institution.name},
                )
                for event in selectors.referral_events(actor=actor, referral=referral)
            ],
            "is_school": is_school,
            "is_institution": is_institution,
            "buttons": buttons,
            "consent_form": forms.get("consent") or ConsentForm()
            if is_school and state == S.DRAFT
            else None,
            "override_form": forms.get("override") or ReasonForm()
            if may_override
            and state in (S.DRAFT, S.GUARDIAN_INFORMED)
            and not referral.has_consent_gate
            else None,
            "decline_form": forms.get("decline") or ReasonForm()
            if is_institution and state == S.SENT
            else None,
            "feedback_form": forms.get("feedback") or FeedbackForm()
            if is_institution and state in (S.ACCEPTED, S.IN_TREATMENT)
            else None,
            "return_form": forms.get("return") or ReturnForm()
            if is_school and state in (S.IN_TREATMENT, S.FEEDBACK_RECEIVED)
            else None,
            "plan_form": forms.get("plan") or ReturnPlanForm()
            if is_school and state == S.RETURNED
            else None,
            "withdraw_form": forms.get("withdraw") or ReasonForm()
            if is_school and not referral.is_final
            else None,
            "error_form": forms.get("transition"),
        },
        status=status,
    )


@policy.requires(policy.Action.VIEW_REFERRALS)
@require_GET
@transaction.atomic
def referral_detail(request: HttpRequest, pk: int) -> HttpResponse:
    referral = selectors.referral_get(actor=request.user, pk=pk)
    return _detail(request, referral)


def _post(
    request: HttpRequest,
    pk: int,
    key: str,
    form: Form,
    write: Callable[[Referral, dict[str, Any]], object],
    done: str,
) -> HttpResponse:
    referral = selectors.referral_get(actor=request.user, pk=pk)
    if form.is_valid():
        try:
            with transaction.atomic():
                write(referral, form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, done)
            return redirect("referrals:detail", pk=referral.pk)
    referral.refresh_from_db()
    return _detail(request, referral, {key: form}, status=400)


@policy.requires(policy.Action.MAKE_REFERRAL)
@require_POST
def referral_consent(request: HttpRequest, pk: int) -> HttpResponse:
    return _post(
        request,
        pk,
        "consent",
        ConsentForm(request.POST, request.FILES),
        lambda r, data: services.referral_record_consent(actor=request.user, referral=r, **data),
        _("The guardian's consent is recorded."),
    )


@policy.requires(policy.Action.OVERRIDE_REFERRAL_CONSENT)
@require_POST
def referral_override(request: HttpRequest, pk: int) -> HttpResponse:
    return _post(
        request,
        pk,
        "override",
        ReasonForm(request.POST),
        lambda r, data: services.referral_override_consent(
            actor=request.user, referral=r, reason=data["reason"]
        ),
        _("Emergency override recorded: the referral may be sent."),
    )


@policy.requires(policy.Action.MAKE_REFERRAL, policy.Action.ANSWER_REFERRAL)
@require_POST
def referral_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """send / accept / start_treatment / close (no fields); decline / withdraw (a reason)."""
    action = step
    if action not in services.SIMPLE_ACTIONS:
        raise Http404
    needs_reason = action in services.REASON_ACTIONS
    form: Form = ReasonForm(request.POST) if needs_reason else Form(request.POST)
    key = action if needs_reason else "transition"
    return _post(
        request,
        pk,
        key,
        form,
        lambda r, data: services.referral_transition(
            actor=request.user, referral=r, action=action, reason=data.get("reason", "")
        ),
        _("Referral: %(state)s.") % {"state": S(services.TRANSITIONS[action].target).label},
    )


@policy.requires(policy.Action.ANSWER_REFERRAL)
@require_POST
def referral_feedback(request: HttpRequest, pk: int) -> HttpResponse:
    return _post(
        request,
        pk,
        "feedback",
        FeedbackForm(request.POST),
        lambda r, data: services.referral_feedback(actor=request.user, referral=r, **data),
        _("Feedback sent to the school."),
    )


@policy.requires(policy.Action.MAKE_REFERRAL)
@require_POST
def referral_return(request: HttpRequest, pk: int) -> HttpResponse:
    return _post(
        request,
        pk,
        "return",
        ReturnForm(request.POST),
        lambda r, data: services.referral_return(actor=request.user, referral=r, **data),
        _("The student's return to school is recorded. Write the return plan."),
    )


@policy.requires(policy.Action.MAKE_REFERRAL)
@require_POST
def referral_plan(request: HttpRequest, pk: int) -> HttpResponse:
    return _post(
        request,
        pk,
        "plan",
        ReturnPlanForm(request.POST),
        lambda r, data: services.referral_write_return_plan(
            actor=request.user, referral=r, plan=data["plan"]
        ),
        _("Return plan saved."),
    )


@policy.requires(policy.Action.VIEW_REFERRALS)
@require_GET
@transaction.atomic
def referral_consent_scan(request: HttpRequest, pk: int) -> HttpResponse:
    """The scan of the consent form, for the school side (audited download)."""
    referral = selectors.referral_get(actor=request.user, pk=pk)
    if not referral.consent_scan or not scope.can(request.user, RecordKind.REFERRAL):
        raise Http404
    audit_record(
        actor=request.user,
        action=Action.DOWNLOAD,
        obj=referral,
        student=referral.student,
        detail={"file": "consent_scan"},
    )
    response = HttpResponse(
        base64.b64decode(referral.consent_scan), content_type=referral.consent_scan_type
    )
    response["Content-Disposition"] = f'attachment; filename="consent-{referral.pk}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- institutions ---------------------------------------------------------------------------------


@policy.requires(policy.Action.VIEW_INSTITUTIONS)
@require_GET
def institution_list(request: HttpRequest) -> HttpResponse:
    institutions = list(selectors.institution_queryset(actor=request.user))
    return render(
        request,
        "referrals/institutions.html",
        {
            "institutions": institutions,
            "may_keep": services.may_keep(request.user),
            "keepable": {i.pk for i in institutions if services.may_keep(request.user, i.unit)},
        },
    )


@policy.requires(policy.Action.KEEP_INSTITUTIONS)
@require_http_methods(["GET", "POST"])
def institution_create(request: HttpRequest) -> HttpResponse:
    selectors.require_keeper(request.user)
    units = selectors.keepable_units(actor=request.user)
    form = InstitutionCreateForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        unit = data.pop("unit")
        try:
            with transaction.atomic():
                services.institution_save(actor=request.user, unit=unit, **data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Institution saved."))
            return redirect("referrals:institution_list")
    return render(
        request,
        "referrals/institution_form.html",
        {"form": form, "institution": None},
        status=400 if request.method == "POST" else 200,
    )


@policy.requires(policy.Action.KEEP_INSTITUTIONS)
@require_http_methods(["GET", "POST"])
def institution_edit(request: HttpRequest, pk: int) -> HttpResponse:
    selectors.require_keeper(request.user)
    institution = selectors.institution_get(actor=request.user, pk=pk)
    if not services.may_keep(request.user, institution.unit):
        raise Http404
    form = InstitutionForm(request.POST or None, instance=institution)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                services.institution_save(
                    actor=request.user,
                    unit=institution.unit,
                    institution=selectors.institution_get(actor=request.user, pk=pk),
                    **form.cleaned_data,
                )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Institution saved."))
            return redirect("referrals:institution_list")
    return render(
        request,
        "referrals/institution_form.html",
        {"form": form, "institution": institution},
        status=400 if request.method == "POST" else 200,
    )


@policy.requires(policy.Action.KEEP_INSTITUTIONS)
@require_POST
def institution_shares_refresh(request: HttpRequest, pk: int) -> HttpResponse:
    """Share the institution's open referrals with its current staff (a newly assigned doctor)."""
    selectors.require_keeper(request.user)
    institution = selectors.institution_get(actor=request.user, pk=pk)
    if not services.may_keep(request.user, institution.unit):
        raise Http404
    count = services.institution_shares_refresh(actor=request.user, institution=institution)
    messages.success(
        request, _("Open referrals shared with the current staff: %(count)s.") % {"count": count}
    )
    return redirect("referrals:institution_edit", pk=institution.pk)
