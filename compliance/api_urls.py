from django.urls import path

from compliance.apis import (
    IndicatorListApi,
    InspectionListApi,
    RectificationDetailApi,
    RectificationListApi,
    ReportDetailApi,
    ReportDownloadApi,
    ReportListApi,
)

urlpatterns: list = [
    path("indicators/", IndicatorListApi.as_view(), name="api-compliance-indicators"),
    path("reports/", ReportListApi.as_view(), name="api-compliance-reports"),
    path("reports/<int:pk>/", ReportDetailApi.as_view(), name="api-compliance-report"),
    path(
        "reports/<int:pk>/download/",
        ReportDownloadApi.as_view(),
        name="api-compliance-report-download",
    ),
    path("inspections/", InspectionListApi.as_view(), name="api-compliance-inspections"),
    path("rectifications/", RectificationListApi.as_view(), name="api-compliance-rectifications"),
    path(
        "rectifications/<int:pk>/",
        RectificationDetailApi.as_view(),
        name="api-compliance-rectification",
    ),
]
