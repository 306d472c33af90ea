from django.urls import include, path

from screening import views

app_name = "screening"
urlpatterns = [
    path("campaigns/", include("screening.campaigns.urls")),
    path("imports/", include("screening.imports.urls")),
    path("students/<int:pk>/phq-9/", views.result_create, name="phq9_create"),
    path("students/<int:pk>/enter/<str:code>/", views.result_create, name="result_create"),
    path("selfscreen/", include("screening.selfscreen.urls")),
    path("observations/", include("screening.observations.urls")),
    path("growth/", include("screening.growth.urls")),
    path("s/", include("screening.selfscreen.student_urls")),
    path("consents/", include("screening.consents.urls")),
]
