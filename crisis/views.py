"""The high-risk list. Roles without case-level access get 403; rows come from the actor's scope."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from crisis import selectors
from crisis.forms import HighRiskFilterForm

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
    next_query = first_query = ""
    if page.next_after is not None:
        query = request.GET.copy()
        query["after"] = str(page.next_after)
        next_query = query.urlencode()
    if after is not None:
        query = request.GET.copy()
        query.pop("after", None)
        first_query = query.urlencode() or "_"
    return render(
        request,
        "crisis/highrisk_list.html",
        {"form": form, "page": page, "next_query": next_query, "first_query": first_query},
    )
