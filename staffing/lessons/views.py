"""Lesson pages (notice §2): the overview of schools (county / city / province), a school's
classes × months grid, the multi-class log form and the import. A role that never reads lessons
gets 403 before any lookup; a school outside the actor's reach is 404 like a missing one."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from mhcare.accounts import policy
from mhcare.core.forms import add_service_errors
from mhcare.core.spreadsheets import XLSX_CONTENT_TYPE
from mhcare.orgs.models import OrgKind, OrgUnit
from staffing.lessons import calendar, importers, selectors, services
from staffing.lessons.forms import LessonImportForm, LessonLogForm, MonthRangeForm


def _month_query(months: list) -> str:
    return f"?start={months[0]:%Y-%m}&end={months[-1]:%Y-%m}" if months else ""


@policy.requires(policy.Action.VIEW_LESSONS)
@require_GET
def lesson_index(request: HttpRequest) -> HttpResponse:
    """Schools with their classes meeting the rule per month; a teacher of one school goes
    straight to her school's grid."""
    actor = request.user
    selectors.require_viewer(actor)
    schools = list(selectors.lesson_schools(actor=actor)[:2])
    units = list(
        OrgUnit.objects.filter(path__in=policy.paths(actor, policy.Action.VIEW_LESSONS)).order_by(
            "depth", "path"
        )
    )
    school_level = all(u.kind == OrgKind.SCHOOL for u in units)
    if (school_level and len(schools) == 1) or (not units and schools):
        # One school (or only her own classes): the school's grid is the page.
        return _school_page(request, schools[0])
    if not units:
        raise Http404
    form = MonthRangeForm(request.GET or None)
    months = form.months()
    code = request.GET.get("unit", "")
    unit = selectors.unit_get(actor=actor, code=code) if code else units[0]
    below = bool(form.is_bound and form.is_valid() and form.cleaned_data.get("below"))
    if unit.kind in (OrgKind.CITY, OrgKind.PROVINCE):
        # Thousands of schools: one row per county, each opening its schools.
        rows, county_rows = (
            [],
            selectors.county_compliance(actor=actor, unit=unit, months=months, below_only=below),
        )
    else:
        rows = selectors.school_compliance(actor=actor, unit=unit, months=months, below_only=below)
        county_rows = []
    return render(
        request,
        "staffing/lessons/index.html",
        {
            "form": form,
            "unit": unit,
            "units": units,
            # schools where the actor reads her own classes only (a homeroom teacher of one
            # school who is the psychology teacher of another)
            "class_schools": [
                s
                for s in OrgUnit.objects.filter(
                    pk__in=sorted(selectors.class_school_ids(actor))
                ).order_by("path")
                if not any(s.path.startswith(u.path) for u in units)
            ],
            "months": months,
            "rows": rows,
            "county_rows": county_rows,
            "below": below,
            "required": calendar.required_hours(),
            "month_query": _month_query(months),
            "may_log": services.may_log(actor),
            "may_import": policy.anywhere(actor, policy.Action.IMPORT_LESSONS),
        },
        status=400 if form.errors else 200,
    )


@policy.requires(policy.Action.VIEW_LESSONS)
@require_GET
def lesson_school(request: HttpRequest, pk: int) -> HttpResponse:
    """The school's classes × months: hours per class and month, months below the required hours
    and months without any lesson flagged, holiday months shown but not counted."""
    school = selectors.lesson_school_get(actor=request.user, pk=pk)
    return _school_page(request, school)


def _school_page(request: HttpRequest, school: OrgUnit) -> HttpResponse:
    actor = request.user
    form = MonthRangeForm(request.GET or None)
    months = form.months()
    grid = selectors.school_grid(actor=actor, school=school, months=months)
    return render(
        request,
        "staffing/lessons/school.html",
        {
            "school": school,
            "grid": grid,
            "form": form,
            "recent": selectors.recent_lessons(actor=actor, school=school),
            "may_log": services.may_log(actor),
            "may_import": policy.allowed(actor, policy.Action.IMPORT_LESSONS, school),
            "month_query": _month_query(months),
            "overview": selectors.has_school_wide_view(actor)
            and len(policy.paths(actor, policy.Action.VIEW_LESSONS)) > 0,
        },
        status=400 if form.errors else 200,
    )


@policy.requires(policy.Action.LOG_LESSON)
@require_http_methods(["GET", "POST"])
def lesson_log(request: HttpRequest) -> HttpResponse:
    """One lesson for one or several classes (a row per class, one transaction)."""
    actor = request.user
    classes = services.loggable_classes(actor=actor).order_by("school__path", "grade", "name", "id")
    school_id = request.GET.get("school", "")
    if school_id.isdigit():
        classes = classes.filter(school_id=int(school_id))
    classes = classes.filter(school_year__end__gte=calendar.month_of(timezone.localdate()))
    form = LessonLogForm(request.POST or None, classes=classes, actor=actor)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            lessons = services.lesson_log(
                actor=actor,
                classes=list(data["classes"]),
                given_on=data["given_on"],
                hours=data["hours"],
                topic=data["topic"],
                teacher_name=data["teacher_name"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error("classes", str(exc) or _("You may not log lessons for these classes."))
        else:
            names = ", ".join(lesson.klass.name for lesson in lessons)
            messages.success(
                request,
                _("Lesson logged for %(classes)s (%(hours)s class hours each).")
                % {"classes": names, "hours": lessons[0].hours},
            )
            months = calendar.default_months()
            month = calendar.month_of(lessons[0].given_on)
            if month not in months:
                months = [month]
            return redirect(
                reverse("lessons:school", args=[lessons[0].school_id]) + _month_query(months)
            )
    return render(
        request,
        "staffing/lessons/log.html",
        {"form": form, "has_classes": classes.exists()},
        status=400 if request.method == "POST" else 200,
    )


@policy.requires(policy.Action.IMPORT_LESSONS)
@require_http_methods(["GET", "POST"])
def lesson_import(request: HttpRequest) -> HttpResponse:
    """A file of lessons for one school: every row checked, all stored or none."""
    actor = request.user
    errors: list = []
    if request.method == "POST":
        form = LessonImportForm(request.POST, request.FILES, actor=actor)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            school = form.cleaned_data["school"]
            rows, errors = importers.parse_lessons(upload, upload.name)
            if not errors:
                result = services.lesson_import(
                    actor=actor,
                    school=school,
                    rows=rows,
                    source=upload.name,
                    sheet="",
                    columns=importers.HEADERS,
                )
                errors = result.errors
                if result.ok:
                    if result.created:
                        messages.success(
                            request,
                            _(
                                "Import complete: %(created)s lessons added, "
                                "%(unchanged)s already stored."
                            )
                            % {"created": result.created, "unchanged": result.unchanged},
                        )
                    else:
                        messages.success(
                            request,
                            _("Nothing changed: every lesson of the file is already stored."),
                        )
                    return redirect("lessons:school", pk=school.pk)
    else:
        form = LessonImportForm(actor=actor)
    return render(
        request,
        "staffing/lessons/import.html",
        {"form": form, "errors": errors, "max_hours": calendar.max_hours()},
        status=400 if errors or form.errors else 200,
    )


@policy.requires(policy.Action.IMPORT_LESSONS)
@require_GET
def lesson_template(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(importers.template_workbook(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{importers.TEMPLATE_FILENAME}"'
    return response
