"""Family pages (notice §10, §14): the homeroom teacher's fast list for her class, coverage per
class and per school, one student's contacts, key periods and their home-visit checklists.

Access: a role that never sees family records gets 403 before any lookup; a class, school,
student, key period or checklist line outside the actor's scope is 404 like a missing one.
Reading a student's contacts (the topics are sensitive) is audited.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crisis.families import selectors, services
from crisis.families.forms import FamilyContactForm, HomeVisitForm, KeyPeriodForm
from crisis.models import KeyPeriod
from mhcare.accounts import policy
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record
from mhcare.core.forms import add_service_errors
from mhcare.orgs.models import OrgUnit, SchoolClass, Semester, Student


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


# --- entry and coverage ------------------------------------------------------------------------


@policy.requires(policy.Action.VIEW_FAMILIES)
@require_GET
def family_index(request: HttpRequest) -> HttpResponse:
    """Where "Family contacts" leads: the homeroom teacher's class, the psychology teacher's or
    leader's school, the county center's schools with their coverage."""
    actor = request.user
    selectors.require_family_access(actor)
    semester = selectors.current_semester()
    school_rows = selectors.school_coverage(actor=actor, semester=semester)
    classes = list(
        SchoolClass.objects.filter(pk__in=sorted(services.family_class_ids(actor)))
        .select_related("school")
        .order_by("school__path", "grade", "name")
    )
    if len(school_rows) == 1 and not classes:
        return redirect("crisis:family_school", pk=school_rows[0].key)
    if len(classes) == 1 and not school_rows:
        return redirect("crisis:family_class", pk=classes[0].pk)
    for row in school_rows:
        row.url = reverse("crisis:family_school", args=[row.key])
    return render(
        request,
        "crisis/families/index.html",
        {
            "semester": semester,
            "school_rows": school_rows,
            "total": selectors.total_of(school_rows),
            "classes": classes,
        },
    )


@policy.requires(policy.Action.VIEW_FAMILIES)
@require_GET
def family_school(request: HttpRequest, pk: int) -> HttpResponse:
    """A school's classes with this semester's family-contact coverage."""
    school = selectors.family_school_get(actor=request.user, pk=pk)
    semester = selectors.current_semester()
    rows = selectors.school_class_coverage(actor=request.user, school=school, semester=semester)
    for row in rows:
        row.url = reverse("crisis:family_class", args=[row.key])
    return render(
        request,
        "crisis/families/school.html",
        {
            "school": school,
            "semester": semester,
            "rows": rows,
            "total": selectors.total_of(rows),
        },
    )


def _row_context(
    request: HttpRequest,
    klass: SchoolClass,
    row: selectors.ClassRow,
    form: FamilyContactForm | None = None,
    saved: bool = False,
) -> dict[str, Any]:
    initial: dict[str, Any] = {}
    if row.guardian is not None:
        initial["with_whom"] = f"{row.guardian.get_relation_display()} {row.guardian.name}"
    return {
        "klass": klass,
        "row": row,
        "form": form
        or FamilyContactForm(
            prefix=f"s{row.student.pk}", initial=initial, student_id=row.student.pk
        ),
        "saved": saved,
    }


@policy.requires(policy.Action.VIEW_FAMILIES)
@require_GET
def family_class(request: HttpRequest, pk: int) -> HttpResponse:
    """The fast list: every student of the class with the semester's contacts so far, and an
    inline row to log a contact (Tab through, Enter saves, the cursor moves to the next student)."""
    klass = selectors.family_class_get(actor=request.user, pk=pk)
    semester = selectors.current_semester()
    rows = selectors.class_rows(actor=request.user, klass=klass, semester=semester)
    return render(
        request,
        "crisis/families/class.html",
        {
            "klass": klass,
            "semester": semester,
            "rows": [_row_context(request, klass, row) for row in rows],
            "coverage": selectors.class_coverage(rows),
            "missing": [row.student for row in rows if not row.is_covered],
            "may_open_school": services.has_school_level_family_scope(request.user),
        },
    )


@policy.requires(policy.Action.LOG_FAMILY_CONTACT)
@require_POST
def family_contact_create(request: HttpRequest, pk: int, student_pk: int) -> HttpResponse:
    """Log one contact from a row of the fast list. With htmx the answer is the row itself
    (saved, or with its errors); without JavaScript a redirect back to the list (or the list
    with the errors)."""
    klass = selectors.family_class_get(actor=request.user, pk=pk)
    student = selectors.class_student_get(actor=request.user, klass=klass, pk=student_pk)
    form = FamilyContactForm(request.POST, prefix=f"s{student.pk}", student_id=student.pk)
    saved = False
    if form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                services.family_contact_log(
                    actor=request.user,
                    student=student,
                    contacted_on=data["contacted_on"],
                    way=data["way"],
                    with_whom=data["with_whom"],
                    topics=data["topics"],
                    submission_token=data["token"],
                )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            saved = True
    semester = selectors.current_semester()
    row = selectors.class_row(actor=request.user, klass=klass, student=student, semester=semester)
    if saved:
        # A fresh row form keeps the date just used: a teacher logs a parents' meeting in a row.
        context = _row_context(request, klass, row, saved=True)
        context["form"].initial["contacted_on"] = form.cleaned_data["contacted_on"]
    else:
        context = _row_context(request, klass, row, form=form)
    if _is_htmx(request):
        # htmx swaps only 2xx answers: a row with its errors is a 200 marked data-state="error".
        return render(request, "crisis/families/_row.html", context)
    if saved:
        messages.success(request, _("Contact saved for %(name)s.") % {"name": student.name})
        return redirect(reverse("crisis:family_class", args=[klass.pk]) + f"#row-{student.pk}")
    rows = selectors.class_rows(actor=request.user, klass=klass, semester=semester)
    row_contexts = [
        context if r.student.pk == student.pk else _row_context(request, klass, r) for r in rows
    ]
    return render(
        request,
        "crisis/families/class.html",
        {
            "klass": klass,
            "semester": semester,
            "rows": row_contexts,
            "coverage": selectors.class_coverage(rows),
            "missing": [r.student for r in rows if not r.is_covered],
            "may_open_school": services.has_school_level_family_scope(request.user),
        },
        status=400,
    )


@policy.requires(policy.Action.VIEW_FAMILIES)
@require_GET
@transaction.atomic
def family_student(request: HttpRequest, pk: int) -> HttpResponse:
    """A student's family contacts with their topics (sensitive: the view is audited)."""
    student: Student = selectors.family_student_get(actor=request.user, pk=pk)
    contacts = list(selectors.student_contacts(actor=request.user, student=student)[:200])
    audit_record(
        actor=request.user,
        action=Action.VIEW,
        obj=student,
        student=student,
        detail={"family_contacts": len(contacts)},
    )
    return render(
        request,
        "crisis/families/student.html",
        {"student": student, "contacts": contacts},
    )


# --- key periods -------------------------------------------------------------------------------


def _creator_units(actor: Any) -> Any:
    paths = services.creator_unit_paths(actor)
    return OrgUnit.objects.filter(path__in=paths).order_by("path")


@policy.requires(policy.Action.VIEW_FAMILIES)
@require_http_methods(["GET", "POST"])
def family_key_period_list(request: HttpRequest) -> HttpResponse:
    """Key periods reaching the actor, and (psychology teacher, county center) a form to define
    one for her school / their county."""
    actor = request.user
    selectors.require_family_access(actor)
    may_create = services.may_define_key_periods(actor)
    if request.method == "POST" and not may_create:
        raise PermissionDenied
    form = None
    if may_create:
        semester = selectors.current_semester()
        semesters = Semester.objects.select_related("school_year").order_by("-start")
        form = KeyPeriodForm(
            request.POST or None,
            units=_creator_units(actor),
            semesters=semesters,
            initial={"semester": semester, "build_checklist": True},
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                with transaction.atomic():
                    period = services.key_period_create(
                        actor=actor,
                        org_unit=data["org_unit"],
                        semester=data["semester"],
                        name=data["name"],
                        starts_on=data["starts_on"],
                        ends_on=data["ends_on"],
                        build_checklist=data["build_checklist"],
                    )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request, _("Key period “%(name)s” defined.") % {"name": period.name}
                )
                return redirect("crisis:family_key_period", pk=period.pk)
    periods = list(selectors.key_period_list(actor=actor)[:100])
    return render(
        request,
        "crisis/families/key_periods.html",
        {"periods": periods, "form": form, "today": timezone.localdate()},
        status=400 if form is not None and form.errors else 200,
    )


@policy.requires(policy.Action.VIEW_FAMILIES)
@require_GET
def family_key_period(request: HttpRequest, pk: int) -> HttpResponse:
    """A key period: visited ÷ listed per school of its unit."""
    period: KeyPeriod = selectors.key_period_get(actor=request.user, pk=pk)
    rows = selectors.key_period_school_coverage(actor=request.user, period=period)
    if len(rows) == 1 and period.org_unit.is_school:
        return redirect("crisis:family_checklist", pk=period.pk, school_pk=rows[0].key)
    for row in rows:
        row.url = reverse("crisis:family_checklist", args=[period.pk, row.key])
    return render(
        request,
        "crisis/families/key_period.html",
        {
            "period": period,
            "rows": rows,
            "total": selectors.total_of(rows),
            "may_build": services.may_define_for(request.user, period.org_unit),
        },
    )


@policy.requires(policy.Action.DEFINE_KEY_PERIOD)
@require_POST
def family_key_period_build(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Build checklist": add the case and 处境不利 students missing from it."""
    period: KeyPeriod = selectors.key_period_get(actor=request.user, pk=pk)
    if not services.may_define_for(request.user, period.org_unit):
        raise PermissionDenied
    added = services.home_visit_checklist_build(actor=request.user, key_period=period)
    messages.success(
        request, _("Checklist updated: %(count)s student(s) added.") % {"count": added}
    )
    return redirect("crisis:family_key_period", pk=period.pk)


@policy.requires(policy.Action.VIEW_FAMILIES)
@require_GET
def family_checklist(request: HttpRequest, pk: int, school_pk: int) -> HttpResponse:
    """The period's home-visit checklist of one school: visited / not yet, and coverage."""
    period: KeyPeriod = selectors.key_period_get(actor=request.user, pk=pk)
    school = selectors.key_period_school_get(actor=request.user, period=period, pk=school_pk)
    lines = selectors.checklist(actor=request.user, period=period, school=school)
    return render(
        request,
        "crisis/families/checklist.html",
        {
            "period": period,
            "school": school,
            "lines": lines,
            "coverage": selectors.checklist_coverage(lines),
            "may_build": services.may_define_for(request.user, period.org_unit),
        },
    )


@policy.requires(policy.Action.LOG_FAMILY_CONTACT)
@require_http_methods(["GET", "POST"])
def family_visit_mark(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the home visit of one checklist line (a family contact of way "home visit")."""
    visit = selectors.home_visit_get(actor=request.user, pk=pk)
    back = reverse("crisis:family_checklist", args=[visit.key_period_id, visit.school_id])
    form = HomeVisitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                services.home_visit_mark(
                    actor=request.user,
                    visit=visit,
                    visited_on=data["contacted_on"],
                    with_whom=data["with_whom"],
                    topics=data["topics"],
                )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("Home visit recorded for %(name)s.") % {"name": visit.student.name}
            )
            return redirect(back)
    return render(
        request,
        "crisis/families/visit_form.html",
        {"visit": visit, "form": form, "back": back},
        status=400 if form.errors else 200,
    )
