from django.urls import include, path

from crisis import views

app_name = "crisis"
urlpatterns = [
    path("high-risk/", views.highrisk_list, name="highrisk_list"),
    path("families/", include("crisis.families.urls")),
    path("incidents/", include("crisis.incidents.urls")),
    path("reports/", include("crisis.reporting.urls")),
]
