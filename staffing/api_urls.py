from django.urls import path

from staffing.apis import (
    BudgetSetApi,
    GroupCreateApi,
    ResearcherCreateApi,
    ResearcherEndPostApi,
    ResponsibilitySetApi,
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

# --- bureau writes (issue 11, gap11) ---
urlpatterns += [
    path("researchers/", ResearcherCreateApi.as_view(), name="api-staffing-researcher-create"),
    path(
        "researchers/<int:pk>/end/",
        ResearcherEndPostApi.as_view(),
        name="api-staffing-researcher-end",
    ),
    path(
        "responsibilities/",
        ResponsibilitySetApi.as_view(),
        name="api-staffing-responsibility-set",
    ),
    path("budgets/", BudgetSetApi.as_view(), name="api-staffing-budget-set"),
]
