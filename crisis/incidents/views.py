"""Incident pages (notice §12). Access: a role that never sees incidents gets 403 before any
lookup; one that sees but never records them (the bureau) gets 403 on every write; an incident
outside the actor's subtree is 404 like a missing one. Opening an incident is audited."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crisis.incidents import selectors, services
from crisis.incidents.forms import (
    IncidentActionForm,
    IncidentBureauForm,
    IncidentFilterForm,
    IncidentReportForm,
    IncidentStepForm,
    IncidentStepNotNeededForm,
)
from crisis.models import Incident
from mhcare.accounts import policy
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record
from mhcare.core.forms import add_service_errors
from mhcare.core.forms import saved as _saved
from mhcare.core.paging import pager_links

PAGE_SIZE = 50


@policy.requires(policy.Action.VIEW_INCIDENTS)
@require_GET
def incident_list(request: HttpRequest) -> HttpResponse:
    """The incidents of the actor's school / county / city / province, newest first."""
    selectors.require_viewer(request.user)
    form = IncidentFilterForm(request.GET or None, actor=request.user)
    if form.is_bound and form.is_valid():
        filters, after = form.filters(), form.cleaned_data.get("after")
    else:
        filters, after = selectors.IncidentFilters(), None
    page = selectors.incident_list(
        actor=request.user, filters=filters, after=after, page_size=PAGE_SIZE
    )
    return render(
        request,
        "crisis/incidents/list.html",
        {
            "form": form,
            "page": page,
            "may_report": services.may_manage(request.user),
            **pager_links(request, after=after, next_after=page.next_after),
        },
    )


@policy.requires(policy.Action.MANAGE_INCIDENT)
@require_http_methods(["GET", "POST"])
def incident_report(request: HttpRequest) -> HttpResponse:
    """Report an extreme incident; the leaders, the county center and the bureau are notified."""
    selectors.require_manager(request.user)
    form = IncidentReportForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                incident = services.incident_report(
                    actor=request.user,
                    school=data["school"],
                    occurred_at=data["occurred_at"],
                    kind=data["kind"],
                    severity=data["severity"],
                    summary=data["summary"],
                    students=form.students,
                )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _(
                    "Incident recorded. The school leaders, the county center and the bureau "
                    "were notified."
                ),
            )
            return redirect("crisis:incident_detail", pk=incident.pk)
    return render(
        request,
        "crisis/incidents/report.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


def _detail(
    request: HttpRequest,
    incident: Incident,
    *,
    step_form: tuple[str, IncidentStepForm] | None = None,
    skip_form: tuple[str, IncidentStepNotNeededForm] | None = None,
    action_form: IncidentActionForm | None = None,
    bureau_form: IncidentBureauForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """Render the incident page; every render is a view of the incident and is audited."""
    actor = request.user
    may_manage = services.may_manage(actor, incident.school)
    students = selectors.incident_students(actor=actor, incident=incident)
    checklist = []
    for step in services.CHECKLIST:
        done_at = getattr(incident, step.field)
        not_needed = done_at is None and step.field in incident.not_needed
        form = skip = None
        if may_manage and done_at is None:
            if step_form is not None and step_form[0] == step.field:
                form = step_form[1]
            else:
                form = IncidentStepForm(auto_id=f"id_{step.field}_%s")
            if step.field in services.OPTIONAL_STEPS and not not_needed:
                if skip_form is not None and skip_form[0] == step.field:
                    skip = skip_form[1]
                else:
                    skip = IncidentStepNotNeededForm(auto_id=f"id_{step.field}_skip_%s")
        checklist.append(
            {
                "field": step.field,
                "label": step.label,
                "at": done_at,
                "not_needed": not_needed,
                "form": form,
                "skip_form": skip,
            }
        )
    audit_record(
        actor=actor,
        action=Action.VIEW,
        obj=incident,
        student=students.named[0] if len(students.named) == 1 else None,
        detail={"students": [s.pk for s in students.named]} if students.shows_names else {},
    )
    return render(
        request,
        "crisis/incidents/detail.html",
        {
            "incident": incident,
            "students": students,
            "checklist": checklist,
            "open_count": len(services.open_steps(incident)),
            "timeline": selectors.incident_timeline(actor=actor, incident=incident),
            "may_manage": may_manage,
            "action_form": (action_form or IncidentActionForm()) if may_manage else None,
            "summary": selectors.incident_summary(actor=actor, incident=incident),
            "bureau_form": (
                bureau_form
                or IncidentBureauForm(
                    initial={"bureau_summary": incident.bureau_summary or incident.summary}
                )
            )
            if may_manage
            else None,
        },
        status=status,
    )


@policy.requires(policy.Action.VIEW_INCIDENTS)
@require_GET
@transaction.atomic
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    incident = selectors.incident_get(actor=request.user, pk=pk)
    return _detail(request, incident)


def _back_to(incident: Incident, anchor: str) -> HttpResponse:
    return redirect(reverse("crisis:incident_detail", args=[incident.pk]) + anchor)


@policy.requires(policy.Action.MANAGE_INCIDENT)
@require_POST
@transaction.atomic
def incident_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """Tick one checklist step: "done now" or at a time entered after the fact."""
    incident = selectors.incident_manage_get(actor=request.user, pk=pk)
    if step not in services.STEPS_BY_FIELD:
        raise Http404
    form = IncidentStepForm(request.POST, auto_id=f"id_{step}_%s")
    if _saved(
        form,
        lambda: services.incident_checklist_tick(
            actor=request.user, incident=incident, step=step, at=form.time()
        ),
    ):
        label = services.STEPS_BY_FIELD[step].label
        messages.success(request, _("Recorded: %(step)s") % {"step": label})
        return _back_to(incident, "#checklist")
    incident.refresh_from_db()
    return _detail(request, incident, step_form=(step, form), status=400)


@policy.requires(policy.Action.MANAGE_INCIDENT)
@require_POST
@transaction.atomic
def incident_step_not_needed(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    """Mark an optional checklist step not needed, with the reason."""
    incident = selectors.incident_manage_get(actor=request.user, pk=pk)
    if step not in services.OPTIONAL_STEPS:
        raise Http404  # no page offers "not needed" for a required step
    form = IncidentStepNotNeededForm(request.POST, auto_id=f"id_{step}_skip_%s")
    if _saved(
        form,
        lambda: services.incident_checklist_not_needed(
            actor=request.user, incident=incident, step=step, reason=form.cleaned_data["reason"]
        ),
    ):
        label = services.STEPS_BY_FIELD[step].label
        messages.success(request, _("Recorded as not needed: %(step)s") % {"step": label})
        return _back_to(incident, "#checklist")
    incident.refresh_from_db()
    return _detail(request, incident, skip_form=(step, form), status=400)


@policy.requires(policy.Action.MANAGE_INCIDENT)
@require_POST
@transaction.atomic
def incident_action_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a free action (time + description) to the incident's timeline."""
    incident = selectors.incident_manage_get(actor=request.user, pk=pk)
    form = IncidentActionForm(request.POST)
    if _saved(
        form,
        lambda: services.incident_action_add(
            actor=request.user,
            incident=incident,
            at=form.cleaned_data["at"],
            description=form.cleaned_data["description"],
        ),
    ):
        messages.success(request, _("Action added to the timeline."))
        return _back_to(incident, "#timeline")
    return _detail(request, incident, action_form=form, status=400)


@policy.requires(policy.Action.MANAGE_INCIDENT)
@require_POST
@transaction.atomic
def incident_clear_for_bureau(request: HttpRequest, pk: int) -> HttpResponse:
    """The school clears the narrative of names for the bureau (officials read only that)."""
    incident = selectors.incident_manage_get(actor=request.user, pk=pk)
    form = IncidentBureauForm(request.POST)
    if _saved(
        form,
        lambda: services.incident_clear_for_bureau(
            actor=request.user,
            incident=incident,
            bureau_summary=form.cleaned_data["bureau_summary"],
        ),
    ):
        messages.success(request, _("The bureau now reads this text and the timeline up to now."))
        return _back_to(incident, "#bureau")
    return _detail(request, incident, bureau_form=form, status=400)
