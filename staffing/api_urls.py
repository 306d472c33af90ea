from django.urls import path

from staffing.apis import (
    GroupCreateApi,
    SchoolStaffingListApi,
    TeacherCreateApi,
    TeacherEndPostApi,
    TeacherUpdateApi,
    TrainingCreateApi,
)

urlpatterns: list = [
    path("schools/", SchoolStaffingListApi.as_view(), name="api-staffing-schools"),
    path("teachers/", TeacherCreateApi.as_view(), name="api-staffing-teacher-create"),
    path("teachers/<int:pk>/", TeacherUpdateApi.as_view(), name="api-staffing-teacher-update"),
    path("teachers/<int:pk>/end/", TeacherEndPostApi.as_view(), name="api-staffing-teacher-end"),
    path("groups/", GroupCreateApi.as_view(), name="api-staffing-group-create"),
    path("training/", TrainingCreateApi.as_view(), name="api-staffing-training-create"),
]
