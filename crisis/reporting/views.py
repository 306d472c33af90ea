"""上报 pages: the "not yet reported" list (hours left, attempts, last error) and one report (what
was sent, when, the platform's answer). Both name students, so each request writes one VIEW audit
event. Roles that never see cases get 403 before any lookup; a report outside scope is 404."""

from __future__ import annotations

import json

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from crisis.models import CaseReport
from crisis.reporting import selectors
from crisis.services.reports import masked_payload
from mhcare.accounts import policy
from mhcare.audit.models import Action
from mhcare.audit.services import audit_record
from mhcare.core.paging import pager_links

PAGE_SIZE = 50


def _after(request: HttpRequest) -> int | None:
    try:
        return int(request.GET["after"])
    except (KeyError, ValueError):
        return None


@policy.requires(policy.Action.VIEW_CASE_REPORTS)
@require_GET
@transaction.atomic
def report_unreported(request: HttpRequest) -> HttpResponse:
    after = _after(request)
    page = selectors.unreported_list(actor=request.user, after=after, page_size=PAGE_SIZE)
    audit_record(
        actor=request.user,
        action=Action.VIEW,
        object_type=CaseReport._meta.label_lower,
        detail={"list": "unreported", "report_ids": [row.report.pk for row in page.rows]},
    )
    return render(
        request,
        "crisis/reporting/unreported.html",
        {
            "page": page,
            # No endpoint configured: nothing is being sent. Say so, or the page would pretend.
            "delivery_off": not settings.PROVINCIAL_REPORT_URL,
            **pager_links(request, after=after, next_after=page.next_after),
        },
    )


@policy.requires(policy.Action.VIEW_CASE_REPORTS)
@require_GET
@transaction.atomic
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    report = selectors.report_get(actor=request.user, pk=pk)
    audit_record(actor=request.user, action=Action.VIEW, obj=report, student=report.case.student_id)
    return render(
        request,
        "crisis/reporting/detail.html",
        {
            "report": report,
            "hours_left": selectors.hours_left(report, timezone.now()),
            "payload_json": json.dumps(
                masked_payload(report.payload), ensure_ascii=False, indent=2
            ),
            "response_json": json.dumps(report.response, ensure_ascii=False, indent=2),
        },
    )
