from django.urls import include, path

app_name = "counseling"
urlpatterns = [
    path("guidance/", include("counseling.guidance.urls")),
    path("supervision/", include("counseling.supervision.urls")),
    path("centers/", include("counseling.centers.urls")),
]
