"""Guardian consent pages: a class's students in a grid, each row a decision to record at once
(the psychology teacher for her school, the homeroom teacher for her own class); the public
privacy notice; a campaign's printable notice to parents.

Access: roles that never record consent get 403 before any lookup; a class outside the actor's
consent scope is 404, the same as a missing one."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from mhcare.accounts import policy
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record
from screening.campaigns import selectors as campaign_selectors
from screening.consents import selectors, services
from screening.models import ConsentDecision, ConsentWay


def _parse_day(value: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        return None


@policy.requires(policy.Action.RECORD_CONSENT)
@require_http_methods(["GET", "POST"])
def class_consents(request: HttpRequest, class_pk: int) -> HttpResponse:
    klass = selectors.class_get(actor=request.user, pk=class_pk)
    rows = selectors.class_rows(actor=request.user, klass=klass)
    if request.method == "POST":
        saved, problems = 0, []
        for row in rows:
            student = row["student"]
            decision = request.POST.get(f"decision-{student.pk}", "")
            if decision not in ConsentDecision.values:
                continue
            way = request.POST.get(f"way-{student.pk}", "")
            day = _parse_day(request.POST.get(f"date-{student.pk}", ""))
            if way not in ConsentWay.values or day is None:
                problems.append(_("%(name)s: give the way and the date.") % {"name": student.name})
                continue
            before = row["consent"]
            try:
                consent = services.consent_record(
                    actor=request.user,
                    student=student,
                    decision=decision,
                    way=way,
                    decided_on=day,
                    student_assent=request.POST.get(f"assent-{student.pk}") == "on",
                    note=request.POST.get(f"note-{student.pk}", "")[:2000],
                )
            except (ValidationError, PermissionDenied) as exc:
                text = " ".join(getattr(exc, "messages", [str(exc)]))
                problems.append(f"{student.name}: {text}")
                continue
            if before is None or consent.updated_at != before.updated_at:
                saved += 1
        for problem in problems:
            messages.error(request, problem)
        if saved:
            messages.success(request, _("%(count)s decisions recorded.") % {"count": saved})
        return redirect(request.path)
    audit_record(
        actor=request.user,
        action=Action.VIEW,
        obj=klass,
        detail={"page": "class_consents", "students": len(rows)},
    )
    return render(
        request,
        "screening/consents/class.html",
        {
            "klass": klass,
            "rows": rows,
            "decisions": ConsentDecision.choices,
            "ways": ConsentWay.choices,
            "today": timezone.localdate().isoformat(),
            "missing": sum(1 for r in rows if r["consent"] is None),
            "refused": sum(1 for r in rows if r["consent"] is not None and r["consent"].refused),
        },
    )


@policy.public
@require_GET
def privacy_notice(request: HttpRequest) -> HttpResponse:
    from django.conf import settings

    return render(
        request,
        "screening/consents/privacy.html",
        {"retention": settings.RETENTION_YEARS, "contact": settings.PRIVACY_CONTACT},
    )


@policy.requires(policy.Action.VIEW_CAMPAIGNS)
@require_GET
def campaign_notice(request: HttpRequest, pk: int) -> HttpResponse:
    """The notice to parents of a campaign, to print (the print button: ``data-print``)."""
    from django.conf import settings

    campaign_selectors.require_viewer(request.user)
    campaign = campaign_selectors.campaign_get(actor=request.user, pk=pk)
    instruments = sorted(
        {ci.instrument.code for ci in campaign.instruments.select_related("instrument")}
    )
    context: dict[str, Any] = {
        "campaign": campaign,
        "instruments": instruments,
        "retention": settings.RETENTION_YEARS,
        "contact": settings.PRIVACY_CONTACT,
    }
    return render(request, "screening/consents/notice_print.html", context)
