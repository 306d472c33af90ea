from django.urls import path

from compliance.apis import IndicatorListApi

urlpatterns: list = [
    path("indicators/", IndicatorListApi.as_view(), name="api-compliance-indicators"),
]
