"""Bench-only URLconf: every real URL, plus ``/bench/bare-students/``, a bare Django JSON view
over the same rows as ``/api/v1/students/`` for the same token (the baseline of bench 7). Only
``bench/lists_settings.py`` names this module; production URLs never include it."""

from django.http import HttpRequest, JsonResponse
from django.urls import include, path

from mhcare.accounts.tokens import ExpiringTokenAuthentication
from mhcare.orgs.models import Student

BARE_FIELDS = ("id", "name", "gender", "birth_date", "student_number", "status", "school_id")


def bare_students(request: HttpRequest) -> JsonResponse:
    """The rows the API returns to a county center (its county, by id, 50 a page), read with the
    same token check but no DRF, no audit, no serializer."""
    found = ExpiringTokenAuthentication().authenticate(request)  # type: ignore[arg-type]
    if found is None:
        return JsonResponse({"detail": "no token"}, status=401)
    county = int(request.GET["county"])
    after = int(request.GET.get("after", 0))
    rows = list(
        Student.objects.filter(county_id=county, id__gt=after)
        .order_by("id")
        .values(*BARE_FIELDS)[:50]
    )
    return JsonResponse({"results": rows}, json_dumps_params={"default": str})


urlpatterns = [
    path("bench/bare-students/", bare_students),
    path("", include("mhcare.urls")),
]
