"""Compliance report pages. Roles without county-level aggregates get 403; a report or unit
outside the actor's scope is 404 (the same as a missing one).

The unit picker starts at the actor's own unit(s) and walks down one level at a time
(province → city → county), never a flat list of every county."""

from __future__ import annotations

import io

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from compliance import selectors, services
from compliance.forms import ReportRequestForm
from compliance.periods import default_period
from mhcare.accounts import policy
from mhcare.core.spreadsheets import XLSX_CONTENT_TYPE

REPORT_ROWS = 30


@policy.requires(policy.Action.REQUEST_COMPLIANCE_REPORT)
@require_http_methods(["GET", "POST"])
def report_list(request: HttpRequest) -> HttpResponse:
    selectors.require_report_access(request.user)
    tops = selectors.report_top_units(actor=request.user)
    code = request.GET.get("unit") or request.POST.get("unit") or (tops[0].code if tops else "")
    current = selectors.report_units(actor=request.user).filter(code=code).first()
    if current is None:
        raise Http404
    form = ReportRequestForm(
        request.POST or None,
        actor=request.user,
        initial={"unit": current.code, "period": default_period().code},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.report_request(
                actor=request.user,
                org_unit=form.cleaned_data["unit"],
                period=form.cleaned_data["period"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Report requested. It will be ready in a moment."))
            return redirect(reverse("compliance:report_list") + f"?unit={current.code}")
    return render(
        request,
        "compliance/report_list.html",
        {
            "form": form,
            "tops": tops,
            "current": current,
            "path": selectors.report_unit_path(actor=request.user, unit=current),
            "children": selectors.report_units(actor=request.user).filter(parent=current),
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
    """The PDF (rendered now with the downloader's watermark) or, with ``?format=xlsx``, the
    Excel workbook; audited."""
    selectors.require_report_access(request.user)
    fmt = request.GET.get("format", "pdf")
    try:
        report, content = services.report_download(actor=request.user, pk=pk, fmt=fmt)
    except ValidationError as exc:
        raise Http404 from exc
    return FileResponse(
        io.BytesIO(content),
        as_attachment=True,
        filename=report.filename if fmt == "pdf" else report.xlsx_filename,
        content_type="application/pdf" if fmt == "pdf" else XLSX_CONTENT_TYPE,
    )
