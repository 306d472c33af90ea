from django.urls import path

from staffing.lessons.apis import LessonApi

urlpatterns = [
    path("", LessonApi.as_view(), name="api-staffing-lessons"),
]
