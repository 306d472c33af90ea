"""Growth-file pages: the support plan form (psychology teacher) and the PDF (psychology teacher,
school leader, county center). 403 for other roles before any lookup; 404 out of scope."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from mhcare.accounts import policy
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record
from mhcare.orgs import plans
from screening.growth import pdf, selectors, services
from screening.growth.forms import SupportPlanForm


@policy.requires(policy.Action.EDIT_SUPPORT_PLAN)
@require_http_methods(["GET", "POST"])
@transaction.atomic
def support_plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    if not services.may_edit_plan(request.user):
        raise PermissionDenied
    student = selectors.growth_student_get(actor=request.user, pk=pk)
    if not services.may_edit_plan(request.user, student):
        raise PermissionDenied  # seen under another role (a leader), not edited
    plan = plans.support_plan_get(actor=request.user, student=student)
    initial = (
        {name: getattr(plan, name) for name in services.PLAN_FIELDS} if plan is not None else {}
    )
    form = SupportPlanForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.support_plan_save(actor=request.user, student=student, **form.cleaned_data)
        messages.success(request, _("Support plan saved."))
        return redirect("orgs:student_detail", pk=student.pk)
    if request.method == "GET" and plan is not None:
        audit_record(actor=request.user, action=Action.VIEW, obj=plan, student=student)
    return render(
        request,
        "screening/growth/plan_form.html",
        {"student": student, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@policy.requires(policy.Action.VIEW_CASES)
@require_GET
@transaction.atomic
def growth_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The growth file as a PDF, rendered synchronously (one student). Audited as a DOWNLOAD in the
    same transaction; never cached."""
    student = selectors.growth_student_get(actor=request.user, pk=pk)
    content = pdf.render_growth_pdf(actor=request.user, student=student)
    audit_record(
        actor=request.user,
        action=Action.DOWNLOAD,
        obj=student,
        student=student,
        detail={"document": "growth_file_pdf"},
    )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="growth-file-{student.pk}.pdf"'
    response["Cache-Control"] = "no-store"
    return response
