"""Crisis pages: the high-risk list (and its Excel export), the comprehensive evaluation, the case
page with its follow-ups and level / status changes, and 研判 reviews.

Access: roles without case-level access get 403 before any lookup; a student, case or school
outside the actor's scope is 404. Every page that shows a child's case records is audited.
"""

from __future__ import annotations

import io

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crisis import selectors, services
from crisis.forms import (
    EvaluationForm,
    FollowUpForm,
    HighRiskFilterForm,
    LevelForm,
    ReviewForm,
    StatusForm,
    TaskForm,
    TransferDecisionForm,
    TransferForm,
)
from crisis.models import Case
from mhcare.accounts import policy, scope
from mhcare.accounts.scope import RecordKind
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record
from mhcare.core import registry
from mhcare.core.forms import add_service_errors
from mhcare.core.paging import pager_links
from mhcare.core.risk import cadence_days
from mhcare.orgs.models import OrgUnit, SchoolClass
from screening.risk import proposal_reason_labels_many

PAGE_SIZE = 50
EXPORT_MAX_ROWS = 20_000


def _filters(request: HttpRequest) -> tuple[HighRiskFilterForm, selectors.CaseFilters, str | None]:
    form = HighRiskFilterForm(request.GET or None, actor=request.user)
    if form.is_bound and form.is_valid():
        return form, form.filters(), form.cleaned_data.get("after") or None
    return form, selectors.CaseFilters(), None


@policy.requires(policy.Action.VIEW_CASES)
@require_GET
def highrisk_list(request: HttpRequest) -> HttpResponse:
    selectors.require_case_access(request.user)
    form, filters, after = _filters(request)
    cases = selectors.case_list(
        actor=request.user, filters=filters, after=after, page_size=PAGE_SIZE
    )
    pending = selectors.pending_proposals(
        actor=request.user, school=filters.school, page_size=PAGE_SIZE
    )
    audit_record(
        actor=request.user,
        action=Action.VIEW,
        object_type="crisis.highrisk_list",
        detail={"cases": [c.pk for c in cases.rows], "pending": [p.pk for p in pending.rows]},
    )
    # A leader reads the level and band, never the item.
    reasons = proposal_reason_labels_many(request.user, pending.rows)
    for proposal in pending.rows:
        proposal.visible_reasons = reasons[proposal.pk]  # type: ignore[attr-defined]
    return render(
        request,
        "crisis/highrisk_list.html",
        {
            "form": form,
            "cases": cases,
            "pending": pending,
            "page": pending,
            "today": timezone.localdate(),
            "may_write": services.may_write_cases(request.user),
            **pager_links(request, after=after, next_after=cases.next_after),
        },
    )


@policy.requires(policy.Action.VIEW_CASES)
@require_GET
def highrisk_export(request: HttpRequest) -> HttpResponse:
    """The filtered list as an Excel workbook, with the viewer's name and the time in the file.
    Audited as an export."""
    from openpyxl import Workbook

    from mhcare.core.spreadsheets import write_row

    selectors.require_case_access(request.user)
    _form, filters, _after = _filters(request)
    rows = list(
        selectors.case_queryset(actor=request.user, filters=filters).order_by(
            "next_follow_up_due", "id"
        )[:EXPORT_MAX_ROWS]
    )
    user = request.user
    viewer = getattr(user, "get_full_name", lambda: "")() or getattr(user, "username", "")
    now = timezone.localtime()
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("High-risk list"))
    write_row(
        sheet,
        [
            _("Exported by %(name)s at %(time)s — confidential, data about minors")
            % {"name": viewer, "time": now.strftime("%Y-%m-%d %H:%M")}
        ],
    )
    write_row(
        sheet,
        [
            _("Level"),
            _("Student"),
            _("Student number"),
            _("School"),
            _("Grade"),
            _("Class"),
            _("Status"),
            _("Source"),
            _("Opened on"),
            _("Next follow-up due"),
            _("Overdue"),
            _("Not yet reported (上报)"),
        ],
    )
    today = timezone.localdate()
    for case in rows:
        write_row(
            sheet,
            [
                case.get_level_display(),
                case.student.name,
                case.student.masked_student_number,
                case.school.name,
                case.student.klass.grade,
                case.student.klass.name,
                case.get_status_display(),
                case.get_source_display(),
                case.opened_on,
                case.next_follow_up_due,
                _("yes")
                if selectors.due_state(case.next_follow_up_due, today) == "overdue"
                else "",
                _("yes") if getattr(case, "unreported", False) else "",
            ],
        )
    buffer = io.BytesIO()
    book.save(buffer)
    audit_record(
        actor=request.user,
        action=Action.EXPORT,
        object_type="crisis.highrisk_list",
        detail={"rows": len(rows), "cases": [c.pk for c in rows]},
    )
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="highrisk-{now:%Y%m%d-%H%M}.xlsx"'
    return response


@policy.requires(policy.Action.WRITE_CASE)
@require_http_methods(["GET", "POST"])
def evaluate(request: HttpRequest, pk: int) -> HttpResponse:
    """The comprehensive evaluation (综合评估) of one student."""
    if not services.may_write_cases(request.user):
        raise PermissionDenied
    student = selectors.case_student_get(actor=request.user, pk=pk)
    if not services.may_write_cases(request.user, student):
        raise PermissionDenied  # seen (as a leader, say) but not written by this assignment
    form = EvaluationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            outcome = services.evaluation_confirm(
                actor=request.user,
                student=student,
                level=form.cleaned_data["level"],
                reason=form.cleaned_data["reason"],
                source=form.cleaned_data["source"] or None,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if outcome.case is not None:
                messages.success(
                    request,
                    _("Level confirmed: %(level)s. The student is on the high-risk list.")
                    % {"level": outcome.case.get_level_display()},
                )
                return redirect("crisis:case_detail", pk=outcome.case.pk)
            messages.success(request, _("Evaluation recorded: no risk level."))
            return redirect("orgs:student_detail", pk=student.pk)
    context = selectors.evaluation_context(actor=request.user, student=student)
    audit_record(
        actor=request.user,
        action=Action.VIEW,
        obj=student,
        student=student,
        detail={"page": "evaluation"},
    )
    return render(
        request,
        "crisis/evaluate.html",
        {"student": student, "form": form, **context},
        status=400 if form.errors else 200,
    )


def _writable_case(request: HttpRequest, pk: int) -> Case:
    """A case the actor sees (404 otherwise) and writes under an assignment covering it (403 for
    one seen only under another role: a leader of the school)."""
    case = selectors.case_get(actor=request.user, pk=pk)
    if not services.may_write_cases(request.user, case.student):
        raise PermissionDenied
    return case


def _case_page(
    request: HttpRequest, case: Case, forms: dict[str, Form] | None = None, status: int = 200
) -> HttpResponse:
    forms = forms or {}
    history = selectors.case_history(actor=request.user, case=case)
    audit_record(actor=request.user, action=Action.VIEW, obj=case, student=case.student, detail={})
    may_write = services.may_write_cases(request.user, case.student)
    return render(
        request,
        "crisis/case_detail.html",
        {
            "case": case,
            "may_write": may_write,
            "follow_up_form": forms.get("follow_up") or FollowUpForm(level=case.level),
            "level_form": forms.get("level") or LevelForm(),
            "status_form": forms.get("status") or StatusForm(),
            "transfer_form": forms.get("transfer") or TransferForm(),
            "task_form": forms.get("task") or TaskForm(),
            "homeroom": case.student.klass.homeroom_teacher,
            "cadence": cadence_days(case.level),
            "case_sections": registry.case_sections_for(request.user, case),
            **history,
        },
        status=status,
    )


@policy.requires(policy.Action.VIEW_CASES)
@require_GET
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = selectors.case_get(actor=request.user, pk=pk)
    return _case_page(request, case)


@policy.requires(policy.Action.WRITE_CASE)
@require_POST
def case_follow_up(request: HttpRequest, pk: int) -> HttpResponse:
    if not services.may_write_cases(request.user):
        raise PermissionDenied
    case = _writable_case(request, pk)
    form = FollowUpForm(request.POST, level=case.level)
    if form.is_valid():
        try:
            services.follow_up_record(actor=request.user, case=case, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Follow-up recorded."))
            return redirect("crisis:case_detail", pk=case.pk)
    return _case_page(request, case, {"follow_up": form}, status=400)


@policy.requires(policy.Action.WRITE_CASE)
@require_POST
def case_level(request: HttpRequest, pk: int) -> HttpResponse:
    if not services.may_write_cases(request.user):
        raise PermissionDenied
    case = _writable_case(request, pk)
    form = LevelForm(request.POST)
    if form.is_valid():
        try:
            services.case_change_level(actor=request.user, case=case, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Level changed."))
            return redirect("crisis:case_detail", pk=case.pk)
    return _case_page(request, case, {"level": form}, status=400)


@policy.requires(policy.Action.WRITE_CASE)
@require_POST
def case_status(request: HttpRequest, pk: int) -> HttpResponse:
    if not services.may_write_cases(request.user):
        raise PermissionDenied
    case = _writable_case(request, pk)
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            services.case_set_status(actor=request.user, case=case, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Status changed."))
            return redirect("crisis:case_detail", pk=case.pk)
    return _case_page(request, case, {"status": form}, status=400)


# --- 研判 reviews ----------------------------------------------------------------------


def _review_school(request: HttpRequest) -> OrgUnit:
    schools = [
        s
        for s in scope.schools(request.user, RecordKind.CASE).order_by("path")[:50]
        if services.may_record_reviews(request.user, s)
    ]
    if not schools:
        raise PermissionDenied
    wanted = request.GET.get("school") or request.POST.get("school")
    for school in schools:
        if str(school.pk) == str(wanted):
            return school
    return schools[0]


@policy.requires(policy.Action.VIEW_CASES)
@require_GET
def review_list(request: HttpRequest) -> HttpResponse:
    reviews = selectors.review_list(actor=request.user)
    return render(
        request,
        "crisis/review_list.html",
        {
            "reviews": reviews,
            "may_record": policy.anywhere(request.user, policy.Action.RECORD_REVIEW),
        },
    )


@policy.requires(policy.Action.RECORD_REVIEW)
@require_http_methods(["GET", "POST"])
def review_create(request: HttpRequest) -> HttpResponse:
    school = _review_school(request)
    cases = selectors.review_cases(actor=request.user, school=school)
    form = ReviewForm(request.POST or None, cases=cases)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.review_record(
                actor=request.user,
                school=school,
                held_on=data["held_on"],
                participants=data["participants"],
                summary=data["summary"],
                next_review_on=data["next_review_on"],
                decisions=[
                    services.DecisionInput(case=c, decision=d, new_level=lv, note=n)
                    for c, d, lv, n in form.decisions()
                ],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Review recorded; its decisions are applied."))
            return redirect("crisis:review_list")
    return render(
        request,
        "crisis/review_form.html",
        {"form": form, "school": school},
        status=400 if form.errors else 200,
    )


@policy.requires(policy.Action.WRITE_CASE)
@require_POST
def case_transfer(request: HttpRequest, pk: int) -> HttpResponse:
    if not services.may_write_cases(request.user):
        raise PermissionDenied
    case = _writable_case(request, pk)
    form = TransferForm(request.POST)
    if form.is_valid():
        try:
            services.transfer_request(
                actor=request.user,
                case=case,
                to_school=form.cleaned_data["to_school_code"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Handed over: the new school must accept the case."))
            return redirect("crisis:case_detail", pk=case.pk)
    return _case_page(request, case, {"transfer": form}, status=400)


@policy.requires(policy.Action.WRITE_CASE)
@require_POST
def case_task(request: HttpRequest, pk: int) -> HttpResponse:
    if not services.may_write_cases(request.user):
        raise PermissionDenied
    case = _writable_case(request, pk)
    form = TaskForm(request.POST)
    homeroom = case.student.klass.homeroom_teacher
    if form.is_valid():
        if homeroom is None:
            form.add_error(None, _("The class has no homeroom teacher on record."))
        else:
            try:
                services.task_create(
                    actor=request.user, case=case, assignee=homeroom, **form.cleaned_data
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Task given to the homeroom teacher."))
                return redirect("crisis:case_detail", pk=case.pk)
    return _case_page(request, case, {"task": form}, status=400)


@policy.requires(policy.Action.WRITE_CASE)
@require_http_methods(["GET", "POST"])
def transfer_decide(request: HttpRequest, pk: int) -> HttpResponse:
    if not services.may_write_cases(request.user):
        raise PermissionDenied
    transfer = selectors.transfer_get(actor=request.user, pk=pk)
    classes = SchoolClass.objects.filter(school=transfer.to_school).order_by("grade", "name")
    form = TransferDecisionForm(request.POST or None, classes=classes)
    if request.method == "POST" and form.is_valid():
        try:
            services.transfer_decide(
                actor=request.user,
                transfer=transfer,
                accept=form.cleaned_data["accept"],
                to_class=form.cleaned_data["to_class"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if form.cleaned_data["accept"]:
                messages.success(request, _("Case accepted: the student is now on your list."))
                return redirect("crisis:case_detail", pk=transfer.case_id)
            messages.success(request, _("Transfer declined."))
            return redirect("crisis:highrisk_list")
    audit_record(
        actor=request.user,
        action=Action.VIEW,
        obj=transfer,
        student=transfer.case.student,
        detail={"page": "transfer"},
    )
    return render(
        request,
        "crisis/transfer_decide.html",
        {"transfer": transfer, "form": form},
        status=400 if form.errors else 200,
    )
