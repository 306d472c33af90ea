from django.urls import path

from mhcare.orgs import apis

urlpatterns = [
    path("students/", apis.StudentListApi.as_view(), name="api-student-list"),
    path("students/<int:pk>/", apis.StudentDetailApi.as_view(), name="api-student-detail"),
]
