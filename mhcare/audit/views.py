"""The auditor's pages: the audit log, filtered by date range, user, action and object, paged by
keyset; its export to Excel for a date range (audited as an export itself); the chain's state."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mhcare.accounts import policy
from mhcare.accounts.policy import Action
from mhcare.audit import selectors
from mhcare.audit.checks import online_retention_days
from mhcare.audit.models import Action as AuditAction
from mhcare.audit.models import AuditSeal
from mhcare.audit.services import audit_record
from mhcare.core.paging import pager_links

RANGE_REVERSED = _("The end date lies before the start date.")
EXPORT_NEEDS_RANGE = _("Choose the start and end dates of the range to export.")


class AuditLogForm(forms.Form):
    since = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput({"type": "date"})
    )
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput({"type": "date"}))
    username = forms.CharField(label=_("User name"), required=False, max_length=150)
    action = forms.ChoiceField(
        label=_("Action"), required=False, choices=[("", "—"), *AuditAction.choices]
    )
    object_type = forms.CharField(label=_("Object type"), required=False, max_length=100)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("since") and data.get("until") and data["until"] < data["since"]:
            self.add_error("until", RANGE_REVERSED)
        return data

    def filters(self) -> selectors.AuditLogFilters:
        data = self.cleaned_data if self.is_valid() else {}
        return selectors.AuditLogFilters(
            since=data.get("since"),
            until=data.get("until"),
            username=data.get("username", "").strip(),
            action=data.get("action", ""),
            object_type=data.get("object_type", "").strip(),
        )


def _after(request: HttpRequest) -> int | None:
    try:
        return int(request.GET["after"])
    except (KeyError, ValueError):
        return None


@policy.requires(Action.READ_AUDIT_LOG)
def audit_log(request: HttpRequest) -> HttpResponse:
    form = AuditLogForm(request.GET or None)
    after = _after(request)
    rows, next_after = selectors.audit_log_page(
        actor=request.user, filters=form.filters(), after=after
    )
    last_seal = AuditSeal.objects.order_by("-last_id").first()
    return render(
        request,
        "audit/log.html",
        {
            "form": form,
            "rows": rows,
            "last_seal": last_seal,
            "online_days": online_retention_days(),
            **pager_links(request, after=after, next_after=next_after),
        },
    )


@policy.requires(Action.READ_AUDIT_LOG)
def audit_log_export(request: HttpRequest) -> HttpResponse:
    """The events of a date range as an Excel workbook (every cell neutralised)."""
    from openpyxl import Workbook

    from mhcare.core.spreadsheets import write_row

    form = AuditLogForm(request.GET)
    filters = form.filters()
    if not form.is_valid() or not (filters.since and filters.until):
        problems = [str(error) for errors in form.errors.values() for error in errors]
        messages.error(request, problems[0] if problems else EXPORT_NEEDS_RANGE)
        return redirect("audit:log")
    events = selectors.audit_log_queryset(actor=request.user, filters=filters)
    rows = list(events[: selectors.AUDIT_EXPORT_MAX_ROWS + 1])
    if len(rows) > selectors.AUDIT_EXPORT_MAX_ROWS:
        messages.error(
            request, selectors.EXPORT_TOO_LARGE % {"max": selectors.AUDIT_EXPORT_MAX_ROWS}
        )
        return redirect("audit:log")
    book = Workbook(write_only=True)
    sheet = book.create_sheet(str(_("Audit log")))
    write_row(
        sheet,
        [
            _("Exported by %(name)s at %(time)s — audit log %(since)s to %(until)s")
            % {
                "name": request.user.get_username(),
                "time": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
                "since": filters.since,
                "until": filters.until,
            }
        ],
    )
    write_row(
        sheet,
        [
            _("Id"),
            _("When"),
            _("User name"),
            _("Roles"),
            _("Org unit"),
            _("Action"),
            _("Object type"),
            _("Object id"),
            _("Student id"),
            _("IP address"),
            _("Request id"),
            _("Detail"),
        ],
    )
    for event in rows:
        write_row(
            sheet,
            [
                event.pk,
                timezone.localtime(event.at).strftime("%Y-%m-%d %H:%M:%S"),
                event.actor_username,
                event.roles,
                event.org_unit_code,
                event.action,
                event.object_type,
                event.object_id,
                event.student_id or "",
                event.ip or "",
                event.request_id,
                str(event.detail or ""),
            ],
        )
    audit_record(
        actor=request.user,
        action=AuditAction.EXPORT,
        object_type="audit.auditevent",
        detail={"since": str(filters.since), "until": str(filters.until), "rows": len(rows)},
    )
    response = HttpResponse(
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    name = f"audit-{filters.since:%Y%m%d}-{filters.until:%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    book.save(response)
    return response
