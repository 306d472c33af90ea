"""Results import pages. Roles that never enter results get 403 before any lookup; an import
outside the actor's scope is 404 (the same as a missing one)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods

from mhcare.accounts import policy
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record
from mhcare.core.spreadsheets import XLSX_CONTENT_TYPE
from mhcare.orgs.models import OrgKind
from screening.imports import parsing, selectors, services
from screening.imports.errors import error_summary, errors_workbook
from screening.imports.forms import ImportUploadForm
from screening.models import ImportJob, ImportStatus, Instrument

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
        {
            "form": form,
            "jobs": selectors.import_job_list(actor=request.user),
            "classes": selectors.import_classes(actor=request.user),
        },
        status=400 if form.errors else 200,
    )


def _job_context(request: HttpRequest, pk: int) -> dict[str, object]:
    job = selectors.import_job_get(actor=request.user, pk=pk)
    return {
        "job": job,
        "is_running": job.status in (ImportStatus.PENDING, ImportStatus.RUNNING),
        "unchanged": job.unchanged_rows,
    }


@policy.requires(policy.Action.ENTER_RESULTS)
@require_GET
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_import_access(request)
    context = _job_context(request, pk)
    job: ImportJob = context["job"]  # type: ignore[assignment]
    context["summary"] = error_summary(job)
    # A county center's import covers its schools: the unit is then no school.
    context["for_school"] = job.school.kind == OrgKind.SCHOOL
    # Where the proposed levels are evaluated (the high-risk list), for those who may see it.
    context["reviews_cases"] = policy.allowed(request.user, policy.Action.VIEW_CASES)
    return render(request, "screening/imports/detail.html", context)


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
    school's students in the grades the instrument covers are pre-filled; with
    ``?class=<id>``, the students of that class (number, name, class) — an audited export
    either way. Rows left blank are students not screened: skipped when imported."""
    _require_import_access(request)
    campaign = selectors.import_campaigns(actor=request.user).filter(pk=campaign_pk).first()
    instrument = Instrument.objects.latest_of(code)
    if campaign is None or instrument is None:
        raise Http404
    if not campaign.instruments.filter(instrument__code=code).exists():
        raise Http404
    students: list[tuple[str, str, str]] | None = None
    unit_id, class_id = request.GET.get("unit", ""), request.GET.get("class", "")
    suffix = ""
    if unit_id.isdigit() or class_id.isdigit():
        ranges = list(
            campaign.instruments.filter(instrument__code=code).values_list("grade_min", "grade_max")
        )
        grades = [g for low, high in ranges for g in range(low, high + 1)]
        klass = unit = None
        if class_id.isdigit():
            klass = selectors.import_class_get(actor=request.user, pk=int(class_id))
            if (
                klass is None
                or klass.school_year_id != campaign.school_year_id
                or not klass.school.path.startswith(campaign.org_unit.path)
            ):
                raise Http404
            unit = klass.school
            suffix = f"-{klass.pk}"
        else:
            unit = selectors.import_units(actor=request.user).filter(pk=int(unit_id)).first()
            if unit is None or not unit.is_school:
                raise Http404
        students = list(
            selectors.template_students(
                actor=request.user, grades=grades, school=unit, klass=klass
            ).values_list("student_number", "name", "klass__name")[:TEMPLATE_MAX_STUDENTS]
        )
        audit_record(
            actor=request.user,
            action=Action.EXPORT,
            obj=campaign,
            detail={
                "template": code,
                "unit": unit.pk,
                "class": klass.pk if klass else None,
                "students": len(students),
            },
        )
    content = parsing.template_workbook(instrument, students)
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    filename = f"screening-{campaign.pk}-{instrument.code}{suffix}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@policy.requires(policy.Action.ENTER_RESULTS)
@require_GET
def import_class_template(request: HttpRequest) -> HttpResponse:
    """The one-class picker of the import page: ``?template=<campaign id>:<code>&class=<id>``
    redirects to that template (which checks both)."""
    _require_import_access(request)
    campaign_id, _sep, code = request.GET.get("template", "").partition(":")
    class_id = request.GET.get("class", "")
    if not campaign_id.isdigit() or not class_id.isdigit() or not code:
        raise Http404
    url = reverse("screening:import_template", args=[int(campaign_id), code])
    return redirect(f"{url}?{urlencode({'class': int(class_id)})}")


@policy.requires(policy.Action.ENTER_RESULTS)
@require_GET
def import_errors_download(request: HttpRequest, pk: int) -> HttpResponse:
    """Every error kept for a failed import, as an Excel workbook (row, column, kind, problem).
    The messages can name students (a name on record): audited as a download."""
    _require_import_access(request)
    job = selectors.import_job_get(actor=request.user, pk=pk)
    if job.status != ImportStatus.FAILED or not job.errors:
        raise Http404
    content = errors_workbook(job)
    audit_record(
        actor=request.user,
        action=Action.DOWNLOAD,
        obj=job,
        detail={"errors": len(job.errors), "file": "errors.xlsx"},
    )
    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.xlsx"'
    return response
