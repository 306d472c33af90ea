from django.urls import path

from counseling.centers.apis import (
    ChecklistDetailApi,
    ChecklistEntryApi,
    ChecklistListApi,
    JudgementApi,
)

urlpatterns: list = [
    path("checklists/", ChecklistListApi.as_view(), name="api-center-checklists"),
    path("checklists/<int:pk>/", ChecklistDetailApi.as_view(), name="api-center-checklist"),
    path(
        "checklists/<int:pk>/items/<slug:code>/",
        ChecklistEntryApi.as_view(),
        name="api-center-entry",
    ),
    path("checklists/<int:pk>/judgements/", JudgementApi.as_view(), name="api-center-judge"),
]
