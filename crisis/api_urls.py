from django.urls import path

from crisis.incidents.apis import IncidentListApi

urlpatterns: list = [
    path("incidents/", IncidentListApi.as_view(), name="api-incident-list"),
]
