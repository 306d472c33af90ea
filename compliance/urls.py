from django.urls import path

from compliance import views

app_name = "compliance"
urlpatterns = [
    path("reports/", views.report_list, name="report_list"),
    path("reports/<int:pk>/status/", views.report_status, name="report_status"),
    path("reports/<int:pk>/download/", views.report_download, name="report_download"),
]
