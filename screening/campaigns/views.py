"""Campaign pages: the list, a new campaign, live coverage (drilling down from the campaign's unit
to schools, grades and classes), a class's unscreened students and the keyboard entry grid.

Access: roles without a school-or-wider assignment get 403 before any lookup; a campaign that does
not reach the actor's units, or a unit / class outside her scope, is 404. Coverage is counts only
(officials see it); names need roster scope; the grid needs a role that enters results.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from mhcare.accounts import policy
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record
from mhcare.core.forms import add_service_errors
from mhcare.orgs.models import OrgKind, OrgUnit
from screening.campaigns import selectors, services
from screening.campaigns.forms import CampaignForm
from screening.consents import selectors as consent_selectors
from screening.models import Campaign, InstrumentKind
from screening.scoring import TOTAL_KEY, is_refusable, item_values, localized
from screening.services import may_enter_results


def _window_state(campaign: Campaign) -> str:
    today = timezone.localdate()
    if today < campaign.window_start:
        return "upcoming"
    if today > campaign.window_end:
        return "closed"
    return "open"


@policy.requires(policy.Action.VIEW_CAMPAIGNS)
@require_GET
def campaign_list(request: HttpRequest) -> HttpResponse:
    selectors.require_viewer(request.user)
    campaigns = list(selectors.campaign_list(actor=request.user)[:200])
    for campaign in campaigns:
        campaign.state = _window_state(campaign)  # type: ignore[attr-defined]
    return render(
        request,
        "screening/campaigns/list.html",
        {
            "campaigns": campaigns,
            "may_create": selectors.may_create_campaigns(request.user),
        },
    )


@policy.requires(policy.Action.CREATE_CAMPAIGN)
@require_http_methods(["GET", "POST"])
def campaign_create(request: HttpRequest) -> HttpResponse:
    if not selectors.may_create_campaigns(request.user):
        raise PermissionDenied
    form = CampaignForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            campaign = services.campaign_create(
                actor=request.user,
                name=data["name"],
                org_unit=data["org_unit"],
                school_year=data["school_year"],
                semester=data["semester"],
                window_start=data["window_start"],
                window_end=data["window_end"],
                target_grades=data["target_grades"],
                allow_self_screening=data["allow_self_screening"],
                plans=form.plans(),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Campaign “%(name)s” created.") % {"name": campaign.name})
            return redirect("screening:campaign_detail", pk=campaign.pk)
    return render(
        request,
        "screening/campaigns/form.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


def _breadcrumb(actor: Any, campaign: Campaign, unit: OrgUnit) -> list[OrgUnit]:
    """The units from the highest one the actor sees in the campaign down to ``unit``."""
    visible = selectors.coverage_units(actor=actor).filter(path__startswith=campaign.org_unit.path)
    codes = unit.ancestor_codes()
    return list(visible.filter(code__in=codes).order_by("depth"))


def _coverage_context(request: HttpRequest, campaign: Campaign) -> dict[str, Any]:
    unit = selectors.coverage_unit_get(
        actor=request.user, campaign=campaign, pk=request.GET.get("unit")
    )
    context: dict[str, Any] = {"campaign": campaign, "unit": unit}
    if unit is None:
        return context
    base = reverse("screening:campaign_detail", args=[campaign.pk])
    if unit.kind == OrgKind.SCHOOL:
        grades, classes = selectors.coverage_of_school(
            actor=request.user, campaign=campaign, school=unit
        )
        names = selectors.may_see_names(request.user)
        for row in classes:
            if names:
                row.url = reverse("screening:campaign_class", args=[campaign.pk, row.key])
        context.update(
            grade_rows=grades,
            class_rows=classes,
            total=selectors.total_of(grades, _("Whole school")),
            is_live=True,
        )
    else:
        # Above a school: the schools' pre-aggregated counts, "as of" their refresh.
        rows, as_of = selectors.coverage_by_child_as_of(
            actor=request.user, campaign=campaign, unit=unit
        )
        for row in rows:
            row.url = f"{base}?unit={row.key}"
        context.update(
            child_rows=rows, total=selectors.total_of(rows, unit.name), as_of=as_of, is_live=False
        )
    context["breadcrumb"] = _breadcrumb(request.user, campaign, unit)
    context["coverage_url"] = (
        reverse("screening:campaign_coverage", args=[campaign.pk]) + f"?unit={unit.pk}"
    )
    return context


@policy.requires(policy.Action.VIEW_CAMPAIGNS)
@require_GET
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    selectors.require_viewer(request.user)
    campaign = selectors.campaign_get(actor=request.user, pk=pk)
    campaign.state = _window_state(campaign)  # type: ignore[attr-defined]
    context = _coverage_context(request, campaign)
    context["may_enter"] = may_enter_results(request.user)
    return render(request, "screening/campaigns/detail.html", context)


@policy.requires(policy.Action.VIEW_CAMPAIGNS)
@require_GET
def campaign_coverage(request: HttpRequest, pk: int) -> HttpResponse:
    """The coverage table alone: the detail page refreshes it every 30 s (htmx)."""
    selectors.require_viewer(request.user)
    campaign = selectors.campaign_get(actor=request.user, pk=pk)
    return render(
        request, "screening/campaigns/_coverage.html", _coverage_context(request, campaign)
    )


@policy.requires(policy.Action.VIEW_CAMPAIGNS)
@require_GET
def campaign_class(request: HttpRequest, pk: int, class_pk: int) -> HttpResponse:
    selectors.require_viewer(request.user)
    campaign = selectors.campaign_get(actor=request.user, pk=pk)
    klass = selectors.campaign_class_get(actor=request.user, campaign=campaign, pk=class_pk)
    rows = selectors.class_status(actor=request.user, campaign=campaign, klass=klass)
    instruments = selectors.class_instruments(campaign=campaign, klass=klass)
    # Guardian consent (PIPL art. 31): a refusal takes the student out of the screening.
    consents = consent_selectors.consents_of([r["student"].pk for r in rows])
    refused = [r for r in rows if r["student"].pk in consents and consents[r["student"].pk].refused]
    without_consent = [r for r in rows if r["student"].pk not in consents]
    refused_ids = {r["student"].pk for r in refused}
    audit_record(
        actor=request.user,
        action=Action.VIEW,
        obj=klass,
        detail={"campaign": campaign.pk, "page": "campaign_class", "students": len(rows)},
    )
    return render(
        request,
        "screening/campaigns/class.html",
        {
            "campaign": campaign,
            "klass": klass,
            "rows": rows,
            "unscreened": [
                r for r in rows if not r["complete"] and r["student"].pk not in refused_ids
            ],
            "refused": refused,
            "without_consent": without_consent,
            "may_record_consent": policy.allowed(request.user, policy.Action.RECORD_CONSENT, klass),
            "completed": sum(1 for r in rows if r["complete"]),
            "instruments": instruments,
            "may_enter": may_enter_results(request.user),
        },
    )


def _grid_columns(instrument: Any) -> list[dict[str, Any]]:
    """The grid's columns: items (with the values each accepts) or entered scores (subscales,
    and the total where the instrument takes it as entered)."""
    definition = instrument.definition
    if instrument.kind == InstrumentKind.ITEM:
        return [
            {
                "key": str(item["number"]),
                "label": str(item["number"]),
                "title": localized(item),
                "values": item_values(definition, item),
                "refusable": is_refusable(definition, item),
            }
            for item in instrument.items
        ]
    specs = list(definition.get("subscales", []))
    total = definition.get("total") or {}
    if total.get("from") == "entered":
        specs.append({**total, "code": TOTAL_KEY})
    return [
        {
            "key": str(spec["code"]),
            "label": localized(spec) or str(spec["code"]),
            "title": localized(spec),
            "min": spec.get("min"),
            "max": spec.get("max"),
            "step": spec.get("step", 1),
        }
        for spec in specs
    ]


@policy.requires(policy.Action.ENTER_RESULTS)
@require_GET
def campaign_grid(request: HttpRequest, pk: int, class_pk: int, code: str) -> HttpResponse:
    if not may_enter_results(request.user):
        raise PermissionDenied
    campaign = selectors.campaign_get(actor=request.user, pk=pk)
    klass = selectors.campaign_class_get(actor=request.user, campaign=campaign, pk=class_pk)
    if not policy.allowed(request.user, policy.Action.ENTER_RESULTS, klass):
        raise PermissionDenied  # the class is seen under another role, not entered
    instruments = {i.code: i for i in selectors.class_instruments(campaign=campaign, klass=klass)}
    instrument = instruments.get(code)
    if instrument is None:
        raise Http404
    students = list(selectors.class_students(actor=request.user, klass=klass))
    stored = selectors.grid_results(
        actor=request.user, campaign=campaign, instrument=instrument, students=students
    )
    audit_record(
        actor=request.user,
        action=Action.VIEW,
        obj=klass,
        detail={
            "campaign": campaign.pk,
            "instrument": str(instrument),
            "page": "entry_grid",
            "students": [s.pk for s in students],
        },
    )
    columns = _grid_columns(instrument)
    rows = []
    for student in students:
        result = stored.get(student.pk)
        if result is None:
            values: list[Any] = ["" for _ in columns]
        elif instrument.kind == InstrumentKind.ITEM:
            values = ["x" if a is None else a for a in result.answers]
        else:
            values = [result.scores.get(c["key"], "") for c in columns]
        rows.append({"student": student, "result": result, "values": values})
    today = timezone.localdate()
    default_day = min(max(today, campaign.window_start), campaign.window_end)
    config = {
        "campaign": campaign.pk,
        "instrument": instrument.code,
        "kind": instrument.kind,
        "columns": columns,
        "saveUrl": reverse("api-result-list"),
        "storageKey": f"mhcare-grid:{request.user.pk}:{campaign.pk}:{klass.pk}:{instrument.code}",
        "windowStart": campaign.window_start.isoformat(),
        "windowEnd": campaign.window_end.isoformat(),
        "csrfToken": get_token(request),
    }
    return render(
        request,
        "screening/campaigns/grid.html",
        {
            "campaign": campaign,
            "klass": klass,
            "instrument": instrument,
            "instrument_name": instrument.display_name(),
            "columns": columns,
            "rows": rows,
            "default_day": default_day,
            "config_json": config,
            "grid_messages": _grid_messages(),
            "other_instruments": [i for c, i in instruments.items() if c != code],
        },
    )


def _grid_messages() -> dict[str, str]:
    """The grid script's texts, in the user's language (placeholders filled in by the script)."""
    return {
        "allSaved": _("All saved"),
        "saving": _("Saving…"),
        "saved": _("saved"),
        "pending": _("{n} row(s) not saved yet: kept in this browser, retrying"),
        "incomplete": _("incomplete, not saved yet"),
        "incompleteRows": _("{n} row(s) incomplete: not saved yet (kept in this browser)"),
        "unconfirmedRows": _("{n} change(s) not confirmed: not saved yet"),
        "edit": _("Edit"),
        "saveChange": _("Save change"),
        "editing": _("editing: type the new values, then press Save change (Esc cancels)"),
        "editReady": _("changed, not saved yet: press Save change to replace the saved result"),
        "confirmReplace": _(
            "Replace the saved result of {name} with the values now in the row? "
            "The change is recorded."
        ),
        "locked": _("saved: to change it, press Edit (or F2)"),
        "conflict": _(
            "not saved: a different result is already saved for this student. Reload the page "
            "to see it, or press Edit to replace it."
        ),
        "offline": _("not saved yet (no connection): retrying"),
        "answered": _("{n} of {total}"),
        "missing": _("missing: {items}"),
        "range": _("{item}: type one of {values}"),
        "scoreRange": _("{item}: a number from {min} to {max}"),
        "refused": _("refused"),
        "critical": _("critical item"),
        "proposed": _("proposed level {level}"),
        "notSaved": _("not saved: {reason}"),
        "forbidden": _("You may not enter results for this student."),
        "badDate": _("The date must lie in the campaign's window."),
        "leave": _("Some rows are not saved yet. Leave anyway?"),
    }
