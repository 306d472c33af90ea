from django.urls import path

from compliance import views, views_indicators, views_inspections, views_trends

app_name = "compliance"
urlpatterns = [
    path("reports/", views.report_list, name="report_list"),
    path("reports/<int:pk>/status/", views.report_status, name="report_status"),
    path("reports/<int:pk>/download/", views.report_download, name="report_download"),
    path("indicators/", views_indicators.indicator_home, name="indicators"),
    path("indicators/methods/", views_indicators.indicator_methods, name="methods"),
    path("indicators/<str:code>/", views_indicators.indicator_unit, name="unit"),
    path("trends/", views_trends.trends_view, name="trends"),
    path("inspections/", views_inspections.inspection_list, name="inspections"),
    path("inspections/<int:pk>/", views_inspections.inspection_detail, name="inspection"),
    path("rectifications/", views_inspections.rectification_list, name="rectifications"),
    path("rectifications/<int:pk>/", views_inspections.rectification_detail, name="rectification"),
    path(
        "rectifications/evidence/<int:pk>/",
        views_inspections.evidence_download,
        name="evidence",
    ),
    path("circulars/", views_inspections.circular_list, name="circulars"),
]
