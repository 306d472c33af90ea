"""Pages of inspections (督查), rectification notices (整改) and circulars (通报). Out of scope
is 404 like a missing record; a role that may do none of it gets 403 (policy)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from compliance import inspections as svc
from compliance.forms import (
    CircularForm,
    InspectionForm,
    RectificationDecideForm,
    RectificationIssueForm,
    RectificationReplyForm,
)
from mhcare.accounts import policy
from mhcare.audit.models import Action as AuditAction
from mhcare.audit.services import audit_record
from mhcare.orgs.models import OrgKind, OrgUnit

M, R = policy.Action.MANAGE_INSPECTIONS, policy.Action.REPLY_RECTIFICATION
ROWS = 100


@policy.requires(M)
@require_http_methods(["GET", "POST"])
def inspection_list(request: HttpRequest) -> HttpResponse:
    units = svc.inspectable_units(actor=request.user)
    form = InspectionForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        try:
            inspection = svc.inspection_create(actor=request.user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Inspection recorded."))
            return redirect("compliance:inspection", inspection.pk)
    return render(
        request,
        "compliance/inspection_list.html",
        {"form": form, "inspections": svc.inspection_list(actor=request.user)[:ROWS]},
        status=400 if form.errors else 200,
    )


@policy.requires(M)
@require_http_methods(["GET", "POST"])
def inspection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    inspection = svc.inspection_get(actor=request.user, pk=pk)
    schools = OrgUnit.objects.filter(
        kind=OrgKind.SCHOOL, path__startswith=inspection.unit.path, is_active=True
    ).order_by("path")
    form = RectificationIssueForm(request.POST or None, schools=schools)
    if request.method == "POST" and form.is_valid():
        try:
            svc.rectification_issue(actor=request.user, inspection=inspection, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Rectification notice issued."))
            return redirect("compliance:inspection", inspection.pk)
    return render(
        request,
        "compliance/inspection_detail.html",
        {
            "inspection": inspection,
            "form": form,
            "rectifications": inspection.rectifications.select_related("school"),
        },
        status=400 if form.errors else 200,
    )


@policy.requires(M, R)
@require_GET
def rectification_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "compliance/rectification_list.html",
        {"rectifications": svc.rectification_list(actor=request.user)[:ROWS]},
    )


@policy.requires(M, R)
@require_http_methods(["GET", "POST"])
def rectification_detail(request: HttpRequest, pk: int) -> HttpResponse:
    item = svc.rectification_get(actor=request.user, pk=pk)
    can_reply = svc.may_reply(request.user, item) and item.status in ("open", "returned")
    can_decide = svc.may_decide(request.user, item) and item.status == "replied"
    reply_form = RectificationReplyForm(
        (request.POST if "measures" in request.POST else None),
        (request.FILES if "measures" in request.POST else None),
    )
    decide_form = RectificationDecideForm(request.POST if "decision" in request.POST else None)
    if request.method == "POST":
        try:
            if "measures" in request.POST:
                if not can_reply:
                    raise PermissionDenied
                if reply_form.is_valid():
                    svc.rectification_reply(
                        actor=request.user,
                        rectification=item,
                        measures=reply_form.cleaned_data["measures"],
                        files=reply_form.cleaned_data["evidence"],
                    )
                    messages.success(request, _("Reply sent."))
                    return redirect("compliance:rectification", item.pk)
            elif "decision" in request.POST:
                if not can_decide:
                    raise PermissionDenied
                if decide_form.is_valid():
                    svc.rectification_decide(
                        actor=request.user,
                        rectification=item,
                        accept=decide_form.cleaned_data["decision"] == "accept",
                        note=decide_form.cleaned_data["note"],
                    )
                    messages.success(request, _("Decision recorded."))
                    return redirect("compliance:rectification", item.pk)
        except ValidationError as exc:
            (reply_form if "measures" in request.POST else decide_form).add_error(None, exc)
    bad = request.method == "POST"
    return render(
        request,
        "compliance/rectification_detail.html",
        {
            "item": item,
            "evidence": item.evidence.all(),
            "can_reply": can_reply,
            "can_decide": can_decide,
            "reply_form": reply_form,
            "decide_form": decide_form,
        },
        status=400 if bad else 200,
    )


@policy.requires(M, R)
@require_GET
def evidence_download(request: HttpRequest, pk: int) -> FileResponse:
    evidence = svc.evidence_get(actor=request.user, pk=pk)
    audit_record(
        actor=request.user,
        action=AuditAction.DOWNLOAD,
        obj=evidence,
        detail={"rectification": evidence.rectification_id},
    )
    return FileResponse(evidence.file.open("rb"), as_attachment=True, filename=evidence.name)


@policy.requires(M, R)
@require_http_methods(["GET", "POST"])
def circular_list(request: HttpRequest) -> HttpResponse:
    own = list(OrgUnit.objects.filter(path__in=policy.paths(request.user, M)).order_by("depth"))
    form = CircularForm(request.POST or None, inspections=svc.inspection_list(actor=request.user))
    if request.method == "POST":
        if not own:
            raise PermissionDenied
        if form.is_valid():
            try:
                svc.circular_publish(
                    actor=request.user,
                    unit=own[0],
                    title=form.cleaned_data["title"],
                    body=form.cleaned_data["body"],
                    inspections=list(form.cleaned_data["inspections"]),
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Circular published."))
                return redirect("compliance:circulars")
    circulars = svc.circular_list(actor=request.user).prefetch_related("inspections__unit")[:ROWS]
    return render(
        request,
        "compliance/circular_list.html",
        {"form": form if own else None, "own": own, "circulars": circulars},
        status=400 if form.errors else 200,
    )
