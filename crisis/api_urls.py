from django.urls import path

from crisis.incidents.apis import IncidentListApi
from crisis.reporting.apis import CaseReportListApi

urlpatterns: list = [
    path("incidents/", IncidentListApi.as_view(), name="api-incident-list"),
    path("reports/", CaseReportListApi.as_view(), name="api-crisis-report-list"),
]
