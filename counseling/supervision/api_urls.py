from django.urls import path

from counseling.supervision.apis import SessionListCreateApi, StationListCreateApi

urlpatterns: list = [
    path("sessions/", SessionListCreateApi.as_view(), name="api-supervision-sessions"),
    path("stations/", StationListCreateApi.as_view(), name="api-supervision-stations"),
]
