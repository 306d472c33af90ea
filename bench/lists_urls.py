"""Bench-only URLconf: every real URL, plus two bare Django JSON views beside
``/api/v1/students/`` for the same token (the baselines of bench 7). Only
``bench/lists_settings.py`` names this module; production URLs never include it.

- ``/bench/bare-students/``: the API's page as a bare view writes it — the same students (the
  county's, by id, 50 a page), the same columns (the school and class joined) and the same JSON
  (``student_rows``), read with the same token check, but no DRF, no scope machinery, no audit.
  Bench 7's target compares the API with this view.
- ``/bench/bare-students-narrow/``: the same students with only their own columns (no join, the
  student number unmasked, no JSON builder): the baseline bench 7 used until 2026-12-07, which
  wrote less than the API. Still measured and printed, for comparison with earlier figures."""

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import include, path

from mhcare.accounts.tokens import ExpiringTokenAuthentication
from mhcare.orgs.models import Student
from mhcare.orgs.serializers import STUDENT_ROW_COLUMNS, student_rows

NARROW_FIELDS = ("id", "name", "gender", "birth_date", "student_number", "status", "school_id")


def _page(request: HttpRequest, columns: tuple[str, ...]) -> list[dict[str, Any]] | None:
    """The county's next 50 students (``?county=``, ``?after=``) read as ``values(*columns)``;
    None without a live token."""
    found = ExpiringTokenAuthentication().authenticate(request)  # type: ignore[arg-type]
    if found is None:
        return None
    county = int(request.GET["county"])
    after = int(request.GET.get("after", 0))
    return list(
        Student.objects.filter(county_id=county, id__gt=after).order_by("id").values(*columns)[:50]
    )


def bare_students(request: HttpRequest) -> JsonResponse:
    rows = _page(request, STUDENT_ROW_COLUMNS)
    if rows is None:
        return JsonResponse({"detail": "no token"}, status=401)
    return JsonResponse({"results": student_rows(rows)})


def bare_students_narrow(request: HttpRequest) -> JsonResponse:
    rows = _page(request, NARROW_FIELDS)
    if rows is None:
        return JsonResponse({"detail": "no token"}, status=401)
    return JsonResponse({"results": rows}, json_dumps_params={"default": str})


urlpatterns = [
    path("bench/bare-students/", bare_students),
    path("bench/bare-students-narrow/", bare_students_narrow),
    path("", include("mhcare.urls")),
]
