from django.urls import path

from staffing.activities.apis import ActivityApi

urlpatterns = [
    path("", ActivityApi.as_view(), name="api-staffing-activities"),
]
