"""/api/v1/: every app's API under one prefix, with the OpenAPI schema and its docs (for signed-in
users only: the map of every endpoint is no business of an anonymous visitor)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from mhcare.accounts import policy


@policy.any_authenticated
class SchemaView(SpectacularAPIView):
    pass


@policy.any_authenticated
class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI with its set-up script as a file of its own: no inline script (the CSP)."""


urlpatterns = [
    path("schema/", SchemaView.as_view(), name="api-schema"),
    path(
        "docs/",
        DocsView.as_view(url_name="api-schema"),
        name="api-docs",
    ),
    path("", include("mhcare.orgs.api_urls")),
    path("screening/", include("screening.api_urls")),
    path("crisis/", include("crisis.api_urls")),
    path("counseling/", include("counseling.api_urls")),
    path("compliance/", include("compliance.api_urls")),
    path("staffing/", include("staffing.api_urls")),
    # --- staffing: lessons and activities (issue 11) ---
    path("staffing/lessons/", include("staffing.lessons.api_urls")),
    path("staffing/activities/", include("staffing.activities.api_urls")),
    path("referrals/", include("referrals.api_urls")),
]
