"""The high-risk list. Roles without case-level access get 403; rows come from the actor's scope."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from crisis import selectors
from crisis.forms import HighRiskFilterForm
from mhcare.core.paging import pager_links

PAGE_SIZE = 50


@login_required
@require_GET
def highrisk_list(request: HttpRequest) -> HttpResponse:
    selectors.require_case_access(request.user)
    form = HighRiskFilterForm(request.GET or None, actor=request.user)
    if form.is_bound and form.is_valid():
        filters, after = form.filters(), form.cleaned_data.get("after")
    else:
        filters, after = selectors.HighRiskFilters(), None
    page = selectors.highrisk_list(
        actor=request.user, filters=filters, after=after, page_size=PAGE_SIZE
    )
    return render(
        request,
        "crisis/highrisk_list.html",
        {
            "form": form,
            "page": page,
            **pager_links(request, after=after, next_after=page.next_after),
        },
    )
