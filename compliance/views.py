"""Compliance report pages. Roles without county-level aggregates get 403; a report outside the
actor's scope is 404 (the same as a missing one)."""

from __future__ import annotations

import io

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from compliance import selectors, services
from compliance.forms import ReportRequestForm
from mhcare.accounts import policy, scope

REPORT_ROWS = 20


@policy.requires(policy.Action.REQUEST_COMPLIANCE_REPORT)
@require_http_methods(["GET", "POST"])
def report_list(request: HttpRequest) -> HttpResponse:
    selectors.require_report_access(request.user)
    form = ReportRequestForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            services.report_request(actor=request.user, org_unit=form.cleaned_data["org_unit"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Report requested. It will be ready in a moment."))
            return redirect("compliance:report_list")
    return render(
        request,
        "compliance/report_list.html",
        {
            "form": form,
            "units": scope.top_units(request.user),
            "reports": selectors.report_list(actor=request.user)[:REPORT_ROWS],
        },
        status=400 if form.errors else 200,
    )


@policy.requires(policy.Action.REQUEST_COMPLIANCE_REPORT)
@require_GET
def report_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The htmx fragment of one report's status; it polls itself until the report is finished."""
    selectors.require_report_access(request.user)
    report = selectors.report_get(actor=request.user, pk=pk)
    return render(request, "compliance/_report_status.html", {"report": report})


@policy.requires(policy.Action.REQUEST_COMPLIANCE_REPORT)
@require_GET
def report_download(request: HttpRequest, pk: int) -> FileResponse:
    selectors.require_report_access(request.user)
    try:
        report = services.report_download(actor=request.user, pk=pk)
    except ValidationError as exc:
        raise Http404 from exc
    return FileResponse(
        io.BytesIO(bytes(report.pdf or b"")),
        as_attachment=True,
        filename=report.filename,
        content_type="application/pdf",
    )
