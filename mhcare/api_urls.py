"""/api/v1/: every app's API under one prefix, with the OpenAPI schema and its docs."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from mhcare.accounts import policy

urlpatterns = [
    path("schema/", policy.public(SpectacularAPIView.as_view()), name="api-schema"),
    path(
        "docs/",
        policy.public(SpectacularSwaggerView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
    path("", include("mhcare.orgs.api_urls")),
    path("screening/", include("screening.api_urls")),
    path("crisis/", include("crisis.api_urls")),
    path("counseling/", include("counseling.api_urls")),
]
