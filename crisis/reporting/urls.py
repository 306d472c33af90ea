from django.urls import path

from crisis.reporting import views

# Included from ``crisis/urls.py`` under "reports/": the namespace stays ``crisis``.
urlpatterns = [
    path("", views.report_unreported, name="report_unreported"),
    path("<int:pk>/", views.report_detail, name="report_detail"),
]
