from django.urls import path

from staffing import views

app_name = "staffing"

urlpatterns = [
    path("", views.county_status, name="county"),
    path("schools/<str:code>/", views.provision, name="provision"),
    path("schools/<str:code>/teachers/add/", views.teacher_add, name="teacher_add"),
    path("schools/<str:code>/teachers/import/", views.teacher_import, name="teacher_import"),
    path("schools/<str:code>/groups/add/", views.group_add, name="group_add"),
    path("schools/<str:code>/training/add/", views.training_add, name="training_add"),
    path("schools/<str:code>/budget/", views.budget_add, name="budget_add"),
    path("teachers/<int:pk>/end/", views.teacher_end, name="teacher_end"),
    path("teachers/template/", views.teacher_template, name="teacher_template"),
]
