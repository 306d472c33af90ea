from django.urls import path

from staffing.lessons import views

app_name = "lessons"
urlpatterns = [
    path("", views.lesson_index, name="index"),
    path("schools/<int:pk>/", views.lesson_school, name="school"),
    path("log/", views.lesson_log, name="log"),
    path("import/", views.lesson_import, name="import"),
    path("import/template.xlsx", views.lesson_template, name="template"),
]
