from django.urls import path

from screening.imports import views

urlpatterns = [
    path("", views.import_upload, name="import_upload"),
    path("<int:pk>/", views.import_detail, name="import_detail"),
    path("<int:pk>/progress/", views.import_progress, name="import_progress"),
    path("<int:pk>/errors.xlsx", views.import_errors_download, name="import_errors_download"),
    path("template/class/", views.import_class_template, name="import_class_template"),
    path(
        "template/<int:campaign_pk>/<str:code>.xlsx",
        views.import_template,
        name="import_template",
    ),
]
