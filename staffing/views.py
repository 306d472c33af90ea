"""Staffing pages (notice §5, §6): the county page (every school's staffing status and why,
filterable to the non-compliant; the 教研员, responsibilities and budget of the unit) and a school's
provision page (teachers, groups, training, budget), with the teacher writes and the import.

Access: roles that never read staffing get 403 before any lookup; a unit outside the actor's
scope is 404 like a missing one; read-only readers (county center, bureau) get 403 on writes. The
bureau sees the numbers without the people's names (``VIEW_STAFF_NAMES``).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mhcare.accounts import policy
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record
from mhcare.core.forms import add_service_errors, saved
from mhcare.core.spreadsheets import XLSX_CONTENT_TYPE
from mhcare.orgs.models import OrgKind
from staffing import selectors
from staffing.budget.services import budget_set
from staffing.forms import (
    BudgetForm,
    BureauTrainingForm,
    CountyFilterForm,
    DayForm,
    EndPostForm,
    GroupForm,
    ResearcherForm,
    ResponsibilityForm,
    TeacherForm,
    TeacherImportForm,
    TrainingForm,
    parse_day,
)
from staffing.groups.services import group_establish, responsibility_set
from staffing.teachers import importing, services
from staffing.teachers.rule import Status
from staffing.training.services import ParticipantInput, training_record

UNKNOWN_SCHOOL = _lazy("Unknown school.")


def _unit_choices(actor: object) -> list[tuple[str, str]]:
    """The actor's units above schools, and the schools, as (code, name) for the unit filter."""
    units = (
        selectors.viewer_units(actor)
        .exclude(kind__in=[OrgKind.COUNTY_CENTER, OrgKind.RESEARCH, OrgKind.INSTITUTION])
        .order_by("path")
        .values_list("code", "name", "kind")[:500]
    )
    return [(code, name) for code, name, kind in units if kind != OrgKind.SCHOOL] or [
        (code, name) for code, name, _kind in units
    ]


@policy.requires(policy.Action.VIEW_STAFFING)
@require_GET
def county_status(request: HttpRequest) -> HttpResponse:
    """Every school under the unit with its staffing status and reason on the day."""
    actor = request.user
    top = selectors.top_unit(actor)
    if top is None:
        raise Http404
    code = request.GET.get("unit") or top.code
    unit = selectors.unit_get(actor=actor, code=code)
    if unit.kind == OrgKind.SCHOOL:
        return redirect("staffing:provision", code=unit.code)
    return _county(request, unit)


def _research_choices(actor: object, unit: object) -> list[tuple[str, str]]:
    return list(
        selectors.research_units_for_write(actor=actor, unit=unit)  # type: ignore[arg-type]
        .order_by("path")
        .values_list("code", "name")[:200]
    )


def _county(
    request: HttpRequest,
    unit: object,
    *,
    researcher_form: ResearcherForm | None = None,
    responsibility_form: ResponsibilityForm | None = None,
    budget_form: BudgetForm | None = None,
    training_form: BureauTrainingForm | None = None,
    status: int = 200,
) -> HttpResponse:
    actor = request.user
    on = parse_day(request.GET.get("on"), selectors.today()) or selectors.today()
    wanted = request.GET.get("status", "")
    wanted = wanted if wanted in Status.values else ""
    # The filter bar shows what the page shows (the unit and day chosen or defaulted).
    form = CountyFilterForm(
        {"unit": unit.code, "on": on.isoformat(), "status": wanted},  # type: ignore[attr-defined]
        units=_unit_choices(actor),
    )
    all_rows = selectors.school_staffing_list(actor=actor, unit=unit, on=on)  # type: ignore[arg-type]
    rows = [r for r in all_rows if r.status == wanted] if wanted else all_rows
    counts = {s: sum(r.status == s for r in all_rows) for s in Status.values}
    bureau = selectors.bureau_get(actor=actor, unit=unit, on=on)  # type: ignore[arg-type]
    may_manage = selectors.may_manage_bureau(actor, unit)  # type: ignore[arg-type]
    context = {
        "form": form,
        "unit": unit,
        "on": on,
        "rows": rows,
        "status": wanted,
        "counts": counts,
        "total": len(all_rows),
        "research_units": selectors.research_unit_list(actor=actor, unit=unit, on=on),  # type: ignore[arg-type]
        "bureau": bureau,
        "show_names": policy.allowed(actor, policy.Action.VIEW_STAFF_NAMES, unit),
        "sections": selectors.sections(selectors.COUNTY_SECTIONS, actor, unit, on),  # type: ignore[arg-type]
        "may_manage": may_manage,
    }
    if may_manage:
        research = _research_choices(actor, unit)
        responsibility = bureau.responsibility
        context.update(
            {
                "researcher_form": researcher_form
                or (ResearcherForm(units=research) if research else None),
                "end_form": EndPostForm(),
                "responsibility_form": responsibility_form
                or ResponsibilityForm(
                    initial={
                        "responsible_leader": responsibility.responsible_leader,
                        "division": responsibility.division,
                        "person_in_charge": responsibility.person_in_charge,
                        "center_role": responsibility.center_role,
                    }
                    if responsibility
                    else None
                ),
                "budget_form": budget_form or BudgetForm(initial={"year": on.year}),
                "training_form": training_form or BureauTrainingForm(),
            }
        )
    return render(request, "staffing/county.html", context, status=status)


def _provision(
    request: HttpRequest,
    code: str,
    *,
    teacher_form: TeacherForm | None = None,
    group_form: GroupForm | None = None,
    budget_form: BudgetForm | None = None,
    training_form: TrainingForm | None = None,
    status: int = 200,
) -> HttpResponse:
    actor = request.user
    school = selectors.school_get(actor=actor, code=code)
    day = DayForm(request.GET or None)
    on = parse_day(request.GET.get("on"), selectors.today()) or selectors.today()
    provision = selectors.provision_get(actor=actor, school=school, on=on)
    may_write = policy.allowed(actor, policy.Action.MANAGE_STAFFING, school)
    return render(
        request,
        "staffing/provision.html",
        {
            "school": school,
            "p": provision,
            "day": day,
            "may_write": may_write,
            "teacher_form": teacher_form or (TeacherForm() if may_write else None),
            "end_form": EndPostForm() if may_write else None,
            "group_form": group_form or (GroupForm() if may_write else None),
            "training_form": training_form or (TrainingForm() if may_write else None),
            "budget_form": budget_form
            or (BudgetForm(initial={"year": on.year}) if may_write else None),
            "sections": selectors.sections(selectors.PROVISION_SECTIONS, actor, school, on),
        },
        status=status,
    )


@policy.requires(policy.Action.VIEW_STAFFING)
@require_GET
def provision(request: HttpRequest, code: str) -> HttpResponse:
    """A school's provision: MH teachers in post (and former), groups, training, budget."""
    return _provision(request, code)


@policy.requires(policy.Action.MANAGE_STAFFING)
@require_POST
def teacher_add(request: HttpRequest, code: str) -> HttpResponse:
    school = selectors.writable_school_get(actor=request.user, code=code)
    form = TeacherForm(request.POST)
    if saved(
        form, lambda: services.teacher_add(actor=request.user, school=school, **form.cleaned_data)
    ):
        messages.success(request, _("Teacher added."))
        return redirect("staffing:provision", code=school.code)
    return _provision(request, code, teacher_form=form, status=400)


def _end_post(request: HttpRequest, end: Callable[[datetime.date], object]) -> None:
    """End an MH teacher's or a 教研员's post on the day the form gives; the outcome as a message
    (the post lists sit on the page the view redirects to)."""
    form = EndPostForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
        return
    try:
        end(form.cleaned_data["end_date"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Post ended."))


@policy.requires(policy.Action.MANAGE_STAFFING)
@require_POST
def teacher_end(request: HttpRequest, pk: int) -> HttpResponse:
    teacher = selectors.teacher_get_for_write(actor=request.user, pk=pk)
    _end_post(
        request,
        lambda day: services.teacher_end_post(actor=request.user, teacher=teacher, end_date=day),
    )
    return redirect("staffing:provision", code=teacher.school.code)


@policy.requires(policy.Action.MANAGE_STAFFING)
@require_http_methods(["GET", "POST"])
def teacher_import(request: HttpRequest, code: str) -> HttpResponse:
    """Upload a teacher file; every error (row, column, reason) is shown and nothing is stored
    until the file is clean."""
    school = selectors.writable_school_get(actor=request.user, code=code)
    form = TeacherImportForm(request.POST or None, request.FILES or None)
    errors: list[importing.RowError] = []
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        rows, errors = importing.parse_teachers(upload.read(), upload.name)
        if not errors:
            result = services.teacher_import(
                actor=request.user, school=school, rows=rows, source=upload.name
            )
            errors = list(result.errors)
        if result is not None and result.ok:
            messages.success(
                request,
                _("Imported: %(created)s added, %(updated)s updated, %(unchanged)s unchanged.")
                % {
                    "created": result.created,
                    "updated": result.updated,
                    "unchanged": result.unchanged,
                },
            )
            return redirect("staffing:provision", code=school.code)
    return render(
        request,
        "staffing/teacher_import.html",
        {"school": school, "form": form, "errors": errors},
        status=400 if request.method == "POST" else 200,
    )


@policy.requires(policy.Action.MANAGE_STAFFING)
@require_GET
def teacher_template(request: HttpRequest) -> HttpResponse:
    audit_record(
        actor=request.user,
        action=Action.DOWNLOAD,
        object_type="staffing.mhteacher",
        detail={"operation": "mh_teacher_template"},
    )
    response = HttpResponse(importing.template_workbook(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="mh-teachers-template.xlsx"'
    return response


@policy.requires(policy.Action.MANAGE_STAFFING)
@require_POST
def group_add(request: HttpRequest, code: str) -> HttpResponse:
    """Establish a group (the current one of that kind is dissolved the day before)."""
    school = selectors.writable_school_get(actor=request.user, code=code)
    form = GroupForm(request.POST)
    if saved(form, lambda: group_establish(actor=request.user, school=school, **form.cleaned_data)):
        messages.success(request, _("Group recorded."))
        return redirect("staffing:provision", code=school.code)
    return _provision(request, code, group_form=form, status=400)


@policy.requires(policy.Action.MANAGE_STAFFING)
@require_POST
def budget_add(request: HttpRequest, code: str) -> HttpResponse:
    """Record (or correct) the school's MH budget for a year."""
    school = selectors.writable_school_get(actor=request.user, code=code)
    form = BudgetForm(request.POST)
    if saved(form, lambda: budget_set(actor=request.user, unit=school, **form.cleaned_data)):
        messages.success(request, _("Budget recorded."))
        return redirect("staffing:provision", code=school.code)
    return _provision(request, code, budget_form=form, status=400)


@policy.requires(policy.Action.MANAGE_STAFFING)
@require_POST
def training_add(request: HttpRequest, code: str) -> HttpResponse:
    """Record the school's own training; a participant named like an MH teacher in post is
    linked to that post (the per-teacher record)."""
    school = selectors.writable_school_get(actor=request.user, code=code)
    form = TrainingForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        posts = selectors.teachers_by_name(school=school, on=data["held_on"])
        people = [
            ParticipantInput(
                name=name, school=school, is_homeroom_teacher=homeroom, teacher=posts.get(name)
            )
            for name, homeroom in data["participants"]
        ]
        try:
            training_record(
                actor=request.user,
                unit=school,
                kind=data["kind"],
                title=data["title"],
                held_on=data["held_on"],
                hours=data["hours"],
                includes_mh_content=data["includes_mh_content"],
                participants=people,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Training recorded."))
            return redirect("staffing:provision", code=school.code)
    return _provision(request, code, training_form=form, status=400)


# ---------------------------------------------------------------- bureau writes (county page)


def _county_redirect(unit: object) -> HttpResponse:
    from django.urls import reverse

    return redirect(f"{reverse('staffing:county')}?unit={unit.code}")  # type: ignore[attr-defined]


@policy.requires(policy.Action.MANAGE_BUREAU_STAFFING)
@require_POST
def researcher_add(request: HttpRequest, code: str) -> HttpResponse:
    """Add a 教研员 post at a teaching-research unit under the county (city, province)."""
    unit = selectors.writable_bureau_get(actor=request.user, code=code)
    form = ResearcherForm(request.POST, units=_research_choices(request.user, unit))
    if form.is_valid():
        data = dict(form.cleaned_data)
        research = selectors.research_units_for_write(actor=request.user, unit=unit).get(
            code=data.pop("unit")
        )
        try:
            services.researcher_add(actor=request.user, unit=research, **data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Teaching researcher added."))
            return _county_redirect(unit)
    return _county(request, unit, researcher_form=form, status=400)


@policy.requires(policy.Action.MANAGE_BUREAU_STAFFING)
@require_POST
def researcher_end(request: HttpRequest, pk: int) -> HttpResponse:
    researcher = selectors.researcher_get_for_write(actor=request.user, pk=pk)
    _end_post(
        request,
        lambda day: services.researcher_end_post(
            actor=request.user, researcher=researcher, end_date=day
        ),
    )
    parent = researcher.unit.parent
    return _county_redirect(parent) if parent is not None else redirect("staffing:county")


@policy.requires(policy.Action.MANAGE_BUREAU_STAFFING)
@require_POST
def responsibility_save(request: HttpRequest, code: str) -> HttpResponse:
    """The bureau's responsible leader, division, person and the county center's role."""
    unit = selectors.writable_bureau_get(actor=request.user, code=code)
    form = ResponsibilityForm(request.POST)
    if saved(form, lambda: responsibility_set(actor=request.user, unit=unit, **form.cleaned_data)):
        messages.success(request, _("Responsibilities recorded."))
        return _county_redirect(unit)
    return _county(request, unit, responsibility_form=form, status=400)


@policy.requires(policy.Action.MANAGE_BUREAU_STAFFING)
@require_POST
def bureau_budget(request: HttpRequest, code: str) -> HttpResponse:
    """Record (or correct) the county's (city's, province's) MH budget for a year."""
    unit = selectors.writable_bureau_get(actor=request.user, code=code)
    form = BudgetForm(request.POST)
    if saved(form, lambda: budget_set(actor=request.user, unit=unit, **form.cleaned_data)):
        messages.success(request, _("Budget recorded."))
        return _county_redirect(unit)
    return _county(request, unit, budget_form=form, status=400)


@policy.requires(policy.Action.MANAGE_BUREAU_STAFFING)
@require_POST
def bureau_training(request: HttpRequest, code: str) -> HttpResponse:
    """Record a county's (city's, province's) training with participants from its schools; a
    participant named like an MH teacher in post at that school is linked to the post."""
    unit = selectors.writable_bureau_get(actor=request.user, code=code)
    form = BureauTrainingForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        codes = {school for _name, school, _homeroom in data["participants"]}
        schools = {
            s.code: s
            for s in selectors.viewer_units(request.user).filter(
                code__in=codes, path__startswith=unit.path, kind=OrgKind.SCHOOL
            )
        }
        missing = sorted(codes - set(schools))
        if missing:
            form.add_error("participants", f"{UNKNOWN_SCHOOL} {', '.join(missing)}")
        else:
            posts = {
                code: selectors.teachers_by_name(school=school, on=data["held_on"])
                for code, school in schools.items()
            }
            people = [
                ParticipantInput(
                    name=name,
                    school=schools[school],
                    is_homeroom_teacher=homeroom,
                    teacher=posts[school].get(name),
                )
                for name, school, homeroom in data["participants"]
            ]
            try:
                training_record(
                    actor=request.user,
                    unit=unit,
                    kind=data["kind"],
                    title=data["title"],
                    held_on=data["held_on"],
                    hours=data["hours"],
                    includes_mh_content=data["includes_mh_content"],
                    participants=people,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Training recorded."))
                return _county_redirect(unit)
    return _county(request, unit, training_form=form, status=400)
