from django.urls import path

from screening.apis_scoring import InstrumentScoreApi
from screening.campaigns.apis import (
    CampaignCoverageApi,
    CampaignListCreateApi,
    ResultBulkApi,
    ResultListCreateApi,
)
from screening.consents.apis import ConsentListCreateApi
from screening.observations.apis import ObservationListCreateApi

urlpatterns: list = [
    path(
        "instruments/<str:code>/score/",
        InstrumentScoreApi.as_view(),
        name="api-instrument-score",
    ),
    path("campaigns/", CampaignListCreateApi.as_view(), name="api-campaign-list"),
    path("campaigns/<int:pk>/", CampaignCoverageApi.as_view(), name="api-campaign-detail"),
    path("results/", ResultListCreateApi.as_view(), name="api-result-list"),
    path("results/bulk/", ResultBulkApi.as_view(), name="api-result-bulk"),
    path("observations/", ObservationListCreateApi.as_view(), name="api-observation-list"),
    path("consents/", ConsentListCreateApi.as_view(), name="api-consent-list"),
]
