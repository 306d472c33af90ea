"""Results import pages. Roles that never enter results get 403 before any lookup; an import
outside the actor's scope is 404 (the same as a missing one)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from mhcare.accounts import policy, scope
from mhcare.accounts.scope import RecordKind
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record
from mhcare.orgs.models import Student
from screening.imports import parsing, selectors, services
from screening.imports.forms import ImportUploadForm
from screening.models import ImportStatus, Instrument

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Students pre-filled into a template, at most (a school's roster; a county gets the blank one).
TEMPLATE_MAX_STUDENTS = 20_000


def _require_import_access(request: HttpRequest) -> None:
    if not selectors.import_units(actor=request.user).exists():
        raise PermissionDenied


@policy.requires(policy.Action.ENTER_RESULTS)
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    _require_import_access(request)
    form = ImportUploadForm(request.POST or None, request.FILES or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = services.import_job_create(
                actor=request.user,
                campaign=form.cleaned_data["campaign"],
                instrument=form.cleaned_data["instrument"],
                unit=form.cleaned_data["unit"],
                filename=upload.name,
                content=upload.read(),
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            return redirect("screening:import_detail", pk=job.pk)
    return render(
        request,
        "screening/imports/upload.html",
        {"form": form, "jobs": selectors.import_job_list(actor=request.user)},
        status=400 if form.errors else 200,
    )


def _job_context(request: HttpRequest, pk: int) -> dict[str, object]:
    job = selectors.import_job_get(actor=request.user, pk=pk)
    return {
        "job": job,
        "is_running": job.status in (ImportStatus.PENDING, ImportStatus.RUNNING),
        "unchanged": max(0, job.total_rows - job.inserted_rows),
    }


@policy.requires(policy.Action.ENTER_RESULTS)
@require_GET
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_import_access(request)
    return render(request, "screening/imports/detail.html", _job_context(request, pk))


@policy.requires(policy.Action.ENTER_RESULTS)
@require_GET
def import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The htmx-polled progress bar; a finished job reloads the page to show its result."""
    _require_import_access(request)
    context = _job_context(request, pk)
    response = render(request, "screening/imports/_progress.html", context)
    if not context["is_running"]:
        response["HX-Refresh"] = "true"
    return response


@policy.requires(policy.Action.ENTER_RESULTS)
@require_GET
@transaction.atomic
def import_template(request: HttpRequest, campaign_pk: int, code: str) -> HttpResponse:
    """The template of a campaign and instrument. With ``?unit=<id>`` of a school in scope, the
    school's students in the grades the instrument covers are pre-filled (an audited export)."""
    _require_import_access(request)
    campaign = selectors.import_campaigns(actor=request.user).filter(pk=campaign_pk).first()
    instrument = Instrument.objects.latest_of(code)
    if campaign is None or instrument is None:
        raise Http404
    if not campaign.instruments.filter(instrument__code=code).exists():
        raise Http404
    students: list[tuple[str, str]] | None = None
    unit_id = request.GET.get("unit", "")
    if unit_id.isdigit():
        unit = selectors.import_units(actor=request.user).filter(pk=int(unit_id)).first()
        if unit is None or not unit.is_school:
            raise Http404
        ranges = list(
            campaign.instruments.filter(instrument__code=code).values_list("grade_min", "grade_max")
        )
        grades = [g for low, high in ranges for g in range(low, high + 1)]
        students = list(
            scope.scoped(request.user, Student.objects.enrolled(), kind=RecordKind.SCORE)
            .filter(school=unit, klass__grade__in=grades)
            .order_by("klass__grade", "klass__name", "name")
            .values_list("student_number", "name")[:TEMPLATE_MAX_STUDENTS]
        )
        audit_record(
            actor=request.user,
            action=Action.EXPORT,
            obj=campaign,
            detail={"template": code, "unit": unit.pk, "students": len(students)},
        )
    content = parsing.template_workbook(instrument, students)
    response = HttpResponse(content, content_type=XLSX_TYPE)
    filename = f"screening-{campaign.pk}-{instrument.code}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
