"""County-center standardization pages (notice §8): the counties of the actor's scope with their
checklist progress and the indicator; one county's checklist, which its center fills and a city or
province official judges. A county outside the actor's scope is 404."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from counseling.centers import selectors, services
from counseling.centers.forms import EntryForm, JudgeForm
from counseling.models import ChecklistItem
from mhcare.accounts import policy, scope
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record
from mhcare.core.forms import add_service_errors
from mhcare.orgs.models import OrgUnit


@policy.requires(policy.Action.VIEW_CENTER_CHECKLISTS)
@require_GET
def center_list(request: HttpRequest) -> HttpResponse:
    actor = request.user
    today = timezone.localdate()
    indicators = [
        (unit, selectors.center_standardized(unit, today))
        for unit in scope.top_units(actor)
        if policy.allowed(actor, policy.Action.VIEW_CENTER_CHECKLISTS, unit)
    ]
    return render(
        request,
        "counseling/centers/list.html",
        {
            "counties": list(selectors.checklist_counties(actor=actor, on_date=today)),
            "required": selectors.required_count(),
            "indicators": indicators,
            "today": today,
        },
    )


def _page(
    request: HttpRequest,
    county: OrgUnit,
    *,
    failed: tuple[int, EntryForm] | None = None,
    judge_form: JudgeForm | None = None,
    status: int = 200,
) -> HttpResponse:
    actor = request.user
    may_fill = policy.allowed(actor, policy.Action.FILL_CENTER_CHECKLIST, county)
    may_judge = policy.allowed(actor, policy.Action.JUDGE_CENTER_STANDARD, county)
    rows = []
    for row in selectors.county_items(county=county):
        form = None
        if may_fill:
            if failed is not None and failed[0] == row.item.pk:
                form = failed[1]
            else:
                initial = (
                    {"is_met": row.entry.is_met, "evidence": row.entry.evidence}
                    if row.entry
                    else {}
                )
                form = EntryForm(initial=initial, auto_id=f"id_item{row.item.pk}_%s")
        rows.append({"item": row.item, "entry": row.entry, "form": form})
    today = timezone.localdate()
    return render(
        request,
        "counseling/centers/checklist.html",
        {
            "county": county,
            "rows": rows,
            "judgements": selectors.county_judgements(county=county),
            "standard": selectors.center_standardized(county, today).standardized == 1,
            "may_fill": may_fill,
            "judge_form": (judge_form or JudgeForm()) if may_judge else None,
        },
        status=status,
    )


@policy.requires(policy.Action.VIEW_CENTER_CHECKLISTS)
@require_GET
def center_checklist(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, selectors.county_get(actor=request.user, pk=pk))


@policy.requires(policy.Action.FILL_CENTER_CHECKLIST)
@require_POST
@transaction.atomic
def center_entry_save(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    county = selectors.county_get(actor=request.user, pk=pk)
    policy.require(request.user, policy.Action.FILL_CENTER_CHECKLIST, county)
    try:
        checklist_item = ChecklistItem.objects.get(code=code, is_active=True)
    except ChecklistItem.DoesNotExist as exc:
        raise Http404 from exc
    form = EntryForm(request.POST, request.FILES, auto_id=f"id_item{checklist_item.pk}_%s")
    if form.is_valid():
        try:
            with transaction.atomic():
                services.center_entry_save(
                    actor=request.user, county=county, item=checklist_item, **form.cleaned_data
                )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Saved: %(item)s") % {"item": checklist_item.label})
            url = reverse("counseling:center_checklist", args=[county.pk])
            return redirect(f"{url}#item-{checklist_item.pk}")
    return _page(request, county, failed=(checklist_item.pk, form), status=400)


@policy.requires(policy.Action.JUDGE_CENTER_STANDARD)
@require_POST
@transaction.atomic
def center_judge(request: HttpRequest, pk: int) -> HttpResponse:
    county = selectors.county_get(actor=request.user, pk=pk)
    policy.require(request.user, policy.Action.JUDGE_CENTER_STANDARD, county)
    form = JudgeForm(request.POST)
    if form.is_valid():
        try:
            with transaction.atomic():
                services.center_judge(actor=request.user, county=county, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Judgement recorded."))
            return redirect("counseling:center_checklist", pk=county.pk)
    return _page(request, county, judge_form=form, status=400)


@policy.requires(policy.Action.VIEW_CENTER_CHECKLISTS)
@require_GET
@transaction.atomic
def center_evidence(request: HttpRequest, pk: int, code: str) -> Any:
    entry = selectors.entry_get(actor=request.user, county_pk=pk, code=code)
    if not entry.evidence_file:
        raise Http404
    audit_record(actor=request.user, action=Action.DOWNLOAD, obj=entry)
    return FileResponse(entry.evidence_file.open("rb"), as_attachment=True)
