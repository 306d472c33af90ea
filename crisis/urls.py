from django.urls import include, path

from crisis import views

app_name = "crisis"
urlpatterns = [
    path("high-risk/", views.highrisk_list, name="highrisk_list"),
    path("high-risk/export.xlsx", views.highrisk_export, name="highrisk_export"),
    path("students/<int:pk>/evaluate/", views.evaluate, name="evaluate"),
    path("cases/<int:pk>/", views.case_detail, name="case_detail"),
    path("cases/<int:pk>/follow-up/", views.case_follow_up, name="case_follow_up"),
    path("cases/<int:pk>/level/", views.case_level, name="case_level"),
    path("cases/<int:pk>/status/", views.case_status, name="case_status"),
    path("cases/<int:pk>/transfer/", views.case_transfer, name="case_transfer"),
    path("cases/<int:pk>/task/", views.case_task, name="case_task"),
    path("transfers/<int:pk>/", views.transfer_decide, name="transfer_decide"),
    path("reviews/", views.review_list, name="review_list"),
    path("reviews/new/", views.review_create, name="review_create"),
    path("families/", include("crisis.families.urls")),
    path("incidents/", include("crisis.incidents.urls")),
    path("reports/", include("crisis.reporting.urls")),
]
