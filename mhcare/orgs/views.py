"""Student pages and the roster import.

Access: a role that never sees student records (official, supervisor, platform admin, institution
staff) gets 403 on every page here, before any lookup; a student outside the actor's scope is 404,
the same answer as a student that does not exist.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mhcare.accounts import policy, scope
from mhcare.accounts.scope import RecordKind
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record
from mhcare.core import registry
from mhcare.core.forms import add_service_errors
from mhcare.core.paging import pager_links
from mhcare.orgs import importers, selectors, services
from mhcare.orgs.forms import RosterImportForm, StudentFilterForm, StudentLeaveForm
from mhcare.orgs.models import LEFT_STATUSES, Guardian, Student

PAGE_SIZE = 50
TEMPLATE_FILENAME = "mhcare-roster-template.xlsx"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@policy.requires(policy.Action.VIEW_STUDENTS)
@require_GET
def student_list(request: HttpRequest) -> HttpResponse:
    selectors.require_student_access(request.user)
    form = StudentFilterForm(request.GET or None, actor=request.user)
    if form.is_bound and form.is_valid():
        filters, after = form.filters(), form.cleaned_data.get("after")
    else:
        filters, after = selectors.StudentFilters(), None
    page = selectors.student_list(
        actor=request.user, filters=filters, after=after, page_size=PAGE_SIZE
    )
    return render(
        request,
        "orgs/student_list.html",
        {
            "form": form,
            "page": page,
            **pager_links(request, after=after, next_after=page.next_after),
        },
    )


@policy.requires(policy.Action.VIEW_STUDENTS)
@require_GET
@transaction.atomic
def student_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The student's page (一生一策 growth file). The VIEW audit event is written in the same
    transaction as the read: if it cannot be recorded, the page is not shown."""
    selectors.require_student_access(request.user)
    student = selectors.student_get(actor=request.user, pk=pk)
    return _student_page(request, student)


def _student_page(
    request: HttpRequest, student: Student, *, leave_form: Any = None, status: int = 200
) -> HttpResponse:
    audit_record(actor=request.user, action=Action.VIEW, obj=student, student=student)
    viewers = _viewers(request.user, student)
    may_leave = student.status not in LEFT_STATUSES and policy.allowed(
        request.user, policy.Action.CHANGE_ROLL, student
    )
    return render(
        request,
        "orgs/student_detail.html",
        {
            "leave_form": (leave_form or StudentLeaveForm()) if may_leave else None,
            "student": student,
            "guardians": selectors.guardian_list(actor=request.user, student=student),
            "actions": registry.student_actions_for(request.user, student),
            "timeline": registry.timeline_for(request.user, student),
            "sections": registry.student_sections_for(request.user, student),
            "may_show_phones": scope.can(request.user, RecordKind.FAMILY),
            "may_show_number": policy.allowed(
                request.user, policy.Action.REVEAL_STUDENT_NUMBER, student
            ),
            "show_viewers": viewers is not None,
            "viewers": viewers,
        },
        status=status,
    )


@policy.requires(policy.Action.VIEW_FAMILIES)
@require_POST
@transaction.atomic
def guardian_phone(request: HttpRequest, pk: int) -> HttpResponse:
    """A guardian's full phone number, for the people who call families (the roles that see
    family contacts); everywhere else it is masked. Each showing is audited, in the same
    transaction: if the event cannot be written, the number is not shown."""
    guardian = scope.get_scoped_or_404(
        request.user,
        Guardian.objects.select_related("student"),
        kind=RecordKind.FAMILY,
        pk=pk,
    )
    _audit_shown(request, guardian, guardian.student_id, "phone")
    return render(request, "orgs/guardian_phone.html", {"guardian": guardian})


def _audit_shown(request: HttpRequest, obj: Any, student: Any, field: str) -> None:
    """The one audited place a masked field is shown in full (PIPL: a person who needs it, and a
    trace of each showing); called inside the view's transaction, so no event, no number."""
    audit_record(
        actor=request.user, action=Action.VIEW, obj=obj, student=student, detail={"field": field}
    )


def _viewers(actor: Any, student: Student) -> Any:
    """The "who viewed this student" panel, if the audit app offers it and the actor may see it."""
    try:
        from mhcare.audit.selectors import student_viewer_list  # type: ignore[attr-defined]
    except ImportError:
        return None
    try:
        return student_viewer_list(actor=actor, student=student)
    except PermissionDenied:
        return None


@policy.requires(policy.Action.IMPORT_ROSTER, policy.Action.IMPORT_SCHOOLS)
@require_http_methods(["GET", "POST"])
def roster_import(request: HttpRequest) -> HttpResponse:
    sheets = selectors.import_sheets(actor=request.user)
    if not sheets:
        raise PermissionDenied
    errors: list[importers.RowError] = []
    if request.method == "POST":
        form = RosterImportForm(request.POST, request.FILES, actor=request.user)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            rows, errors = importers.parse_roster(upload, upload.name)
            if not errors:
                result = services.roster_import(
                    actor=request.user,
                    school=form.cleaned_data["school"],
                    rows=rows,
                    source=upload.name,
                )
                errors = result.errors
                if result.ok:
                    messages.success(request, _summary(result))
                    return redirect("orgs:roster_import")
    else:
        form = RosterImportForm(actor=request.user)
    return render(
        request,
        "orgs/roster_import.html",
        {"form": form, "errors": errors, "sheets": sheets},
        status=400 if errors else 200,
    )


def _summary(result: services.ImportResult) -> str:
    labels = {
        "schools": _("schools"),
        "classes": _("classes"),
        "students": _("students"),
        "guardians": _("guardians"),
        "users": _("staff accounts"),
        "assignments": _("role assignments"),
    }
    parts = [
        _("%(label)s: %(created)s added, %(updated)s changed")
        % {
            "label": label,
            "created": result.created.get(key, 0),
            "updated": result.updated.get(key, 0),
        }
        for key, label in labels.items()
        if key in result.created or key in result.updated
    ]
    if not any(result.created.values()) and not any(result.updated.values()):
        # 0 rows stored is never "complete": say what happened.
        return _("Nothing changed: every row of the file is already stored.")
    return _("Import complete. %(parts)s.") % {"parts": "; ".join(parts)}


@policy.requires(policy.Action.IMPORT_ROSTER, policy.Action.IMPORT_SCHOOLS)
@require_GET
def roster_template(request: HttpRequest) -> HttpResponse:
    sheets = selectors.import_sheets(actor=request.user)
    if not sheets:
        raise PermissionDenied
    response = HttpResponse(importers.template_workbook(sheets), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{TEMPLATE_FILENAME}"'
    return response


@policy.requires(policy.Action.CHANGE_ROLL)
@require_POST
@transaction.atomic
def student_leave(request: HttpRequest, pk: int) -> HttpResponse:
    """The student leaves the roll (transferred, graduated) or is suspended (休学). A student
    outside the actor's scope is 404; a reader without the action at that school is 403."""
    selectors.require_student_access(request.user)
    student = selectors.student_get(actor=request.user, pk=pk)
    policy.require(request.user, policy.Action.CHANGE_ROLL, student)
    form = StudentLeaveForm(request.POST)
    if form.is_valid():
        try:
            services.student_leave(actor=request.user, student=student, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Enrolment status changed."))
            return redirect("orgs:student_detail", pk=student.pk)
    return _student_page(request, student, leave_form=form, status=400)


# --- protect: the full student number, shown on request and audited (issue 13) ---
@policy.requires(policy.Action.REVEAL_STUDENT_NUMBER)
@require_POST
@transaction.atomic
def student_number(request: HttpRequest, pk: int) -> HttpResponse:
    """A student's full national student number, for those who match the school roll and the
    provincial platform (psychology teacher, leader, county center, over this student); every
    page, list and export shows it masked. Each showing is audited in the same transaction: if the
    event cannot be written, the number is not shown. Out of scope and missing give one 404."""
    student = scope.get_scoped_or_404(
        request.user, Student.objects.select_related("school", "klass"), pk=pk
    )
    if not policy.allowed(request.user, policy.Action.REVEAL_STUDENT_NUMBER, student):
        raise Http404
    _audit_shown(request, student, student, "student_number")
    return render(request, "orgs/student_number.html", {"student": student})
