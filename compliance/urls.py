from django.urls import path

from compliance import views, views_indicators

app_name = "compliance"
urlpatterns = [
    path("reports/", views.report_list, name="report_list"),
    path("reports/<int:pk>/status/", views.report_status, name="report_status"),
    path("reports/<int:pk>/download/", views.report_download, name="report_download"),
    path("indicators/", views_indicators.indicator_home, name="indicators"),
    path("indicators/methods/", views_indicators.indicator_methods, name="methods"),
    path("indicators/<str:code>/", views_indicators.indicator_unit, name="unit"),
]
