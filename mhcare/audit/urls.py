from django.urls import path

from mhcare.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.audit_log, name="log"),
    path("export/", views.audit_log_export, name="export"),
]
