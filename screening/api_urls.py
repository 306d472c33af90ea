from django.urls import path

from screening.apis_scoring import InstrumentScoreApi
from screening.observations.apis import ObservationListCreateApi

urlpatterns: list = [
    path(
        "instruments/<str:code>/score/",
        InstrumentScoreApi.as_view(),
        name="api-instrument-score",
    ),
    path("observations/", ObservationListCreateApi.as_view(), name="api-observation-list"),
]
