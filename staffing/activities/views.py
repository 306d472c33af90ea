"""Activity pages: the list of MH education and family-education activities of the actor's
schools with counts per school for the school year so far, and the form to record one."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from mhcare.accounts import policy
from mhcare.core.forms import add_service_errors
from mhcare.core.paging import pager_links
from mhcare.orgs.models import OrgUnit
from staffing.activities import selectors, services
from staffing.activities.forms import ActivityFilterForm, ActivityForm

PAGE_SIZE = 50


def school_year_start(today: datetime.date) -> datetime.date:
    return datetime.date(today.year if today.month >= 9 else today.year - 1, 9, 1)


@policy.requires(policy.Action.VIEW_ACTIVITIES)
@require_GET
def activity_list(request: HttpRequest) -> HttpResponse:
    actor = request.user
    selectors.require_viewer(actor)
    form = ActivityFilterForm(request.GET or None)
    category, after = "", None
    if form.is_bound and form.is_valid():
        category, after = form.cleaned_data["category"], form.cleaned_data["after"]
    page = selectors.activity_list(
        actor=actor,
        filters=selectors.ActivityFilters(category=category),
        after=after,
        page_size=PAGE_SIZE,
    )
    today = timezone.localdate()
    start = school_year_start(today)
    units = list(
        OrgUnit.objects.filter(
            path__in=policy.paths(actor, policy.Action.VIEW_ACTIVITIES)
        ).order_by("depth", "path")
    )
    counts = []
    for unit in units[:1]:
        counts = selectors.activity_counts(unit=unit, start=start, end=today, actor=actor)
    return render(
        request,
        "staffing/activities/list.html",
        {
            "form": form,
            "page": page,
            "counts": counts,
            "start": start,
            "today": today,
            "may_record": services.may_record(actor),
            **pager_links(request, after=after, next_after=page.next_after),
        },
    )


@policy.requires(policy.Action.RECORD_ACTIVITY)
@require_http_methods(["GET", "POST"])
def activity_create(request: HttpRequest) -> HttpResponse:
    actor = request.user
    form = ActivityForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.activity_record(
                actor=actor,
                school=data["school"],
                kind=data["kind"],
                held_on=data["held_on"],
                title=data["title"],
                participants=data["participants"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Activity recorded."))
            return redirect("activities:list")
    return render(
        request,
        "staffing/activities/form.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )
