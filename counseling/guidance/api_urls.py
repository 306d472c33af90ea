from django.urls import path

from counseling.guidance.apis import (
    StudentFlagsApi,
    StudentRecordsApi,
    StudentResponsibleApi,
    WatchListApi,
)

urlpatterns: list = [
    path("watch-list/", WatchListApi.as_view(), name="api-guidance-watch-list"),
    path("students/<int:pk>/flags/", StudentFlagsApi.as_view(), name="api-guidance-flags"),
    path(
        "students/<int:pk>/responsible/",
        StudentResponsibleApi.as_view(),
        name="api-guidance-responsible",
    ),
    path("students/<int:pk>/records/", StudentRecordsApi.as_view(), name="api-guidance-records"),
]
