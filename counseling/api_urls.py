from django.urls import include, path

urlpatterns: list = [
    path("guidance/", include("counseling.guidance.api_urls")),
    path("supervision/", include("counseling.supervision.api_urls")),
    path("centers/", include("counseling.centers.api_urls")),
]
